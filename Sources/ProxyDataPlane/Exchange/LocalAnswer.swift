import MCPMessages
import NIOHTTP1
import ProxyResourceServer

/// Why the proxy answers a request itself instead of relaying the upstream's answer.
///
/// The state machine decides with these values and the shell renders them (`LocalResponse`), so
/// deciding costs no string building, and every reason has one name (logs and metrics use it).
enum LocalAnswer: Equatable {
    /// The Host header names something other than this proxy (DNS rebinding protection).
    case hostNotAllowed
    /// No Host, an empty one, or one whose port is not 1–65535 (RFC 9112 §3.2: 400).
    case malformedHost
    /// A GET or DELETE to the MCP endpoint that announces a body.
    case bodyNotAllowed(String)
    /// A browser Origin that `allowed_origins` does not list.
    case originNotAllowed
    /// A request target that could make the proxy sign something other than its endpoint.
    case badTarget(String)
    /// An OAuth discovery or registration probe: the proxy holds the credential itself.
    case discoveryProbe
    case notFound
    case methodNotAllowed(String)
    /// `client_auth: bearer` and no valid client token.
    case unauthenticated
    /// `client_auth: oauth`: no token, a token not accepted (401), or one without a required scope (403).
    case tokenChallenge(ResourceServerAnswers.Challenge)
    /// `client_auth: oauth`: the listener's RFC 9728 protected-resource metadata (200).
    case protectedResourceMetadata
    /// A `tools/call` the profile's tool policy refuses: a JSON-RPC error with the request's id.
    /// Indirect, like the tool-list case: the machine's state holds a `LocalAnswer`, and copying
    /// it on every request should not cost what these rare, large payloads would.
    indirect case toolRefused(ToolCallCheck.Refusal)
    /// The tool policy cannot decide on the message (duplicate keys, headers that contradict it).
    case ambiguousToolCall(String)
    /// The upstream's response to a `tools/list` request cannot be filtered: JSON-RPC errors with
    /// the awaited ids instead (counted as an upstream error, not a rejection).
    indirect case toolListUnfilterable(ToolListFilter, ToolListFilter.Failure)
    case bodyTooLarge
    /// The body is not JSON.
    case bodyNotJSON
    /// The body is JSON but not a JSON-RPC 2.0 object or non-empty batch.
    case bodyNotJSONRPC
    case headTooLarge
    case malformedHTTP(String)
    /// Over a `rate_limit:` limit (429 with Retry-After).
    case rateLimited(RateLimitRefusal)
    /// The request body did not arrive within `ConnectionLimits.requestBodyTimeout`.
    case bodyTimedOut
    /// No usable upstream response (502, or 504 for slowness).
    case upstreamFailed(UpstreamFailure)

    /// After these the connection's framing cannot be trusted, or reading on would cost what the
    /// limit protects: the answer goes out at once and the connection closes.
    var closesConnection: Bool {
        switch self {
        case .badTarget, .bodyTooLarge, .headTooLarge, .malformedHTTP, .bodyTimedOut: return true
        case .hostNotAllowed, .malformedHost, .bodyNotAllowed, .originNotAllowed, .discoveryProbe, .notFound, .methodNotAllowed, .unauthenticated,
             .tokenChallenge, .protectedResourceMetadata,
             .toolRefused, .ambiguousToolCall, .toolListUnfilterable, .bodyNotJSON, .bodyNotJSONRPC, .upstreamFailed, .rateLimited:
            return false
        }
    }

    /// The HTTP status the answer carries.
    var status: Int {
        switch self {
        case .hostNotAllowed, .originNotAllowed: return 403
        case .discoveryProbe, .notFound: return 404
        case .methodNotAllowed: return 405
        case .unauthenticated: return 401
        case .tokenChallenge(let kind): return kind == .insufficientScope ? 403 : 401
        case .protectedResourceMetadata: return 200
        case .toolRefused, .toolListUnfilterable: return 200
        case .ambiguousToolCall: return 400
        case .bodyTimedOut: return 408
        case .rateLimited: return 429
        case .bodyTooLarge: return 413
        case .headTooLarge: return 431
        case .badTarget, .malformedHost, .bodyNotAllowed, .bodyNotJSON, .bodyNotJSONRPC, .malformedHTTP: return 400
        case .upstreamFailed(let failure): return failure.status
        }
    }

    /// Refused before reaching the upstream (counted in `rejected_requests_total`); upstream
    /// failures are counted as upstream errors instead.
    var isRejection: Bool { reason.isRejection }

    /// The one name of why the proxy answered: the `reason` field of the log line and the
    /// `reason` label of `rejected_requests_total` both come from here.
    enum Reason: String {
        case host, badHost = "bad_host", bodyNotAllowed = "body_not_allowed", origin, target, discovery
        case notFound = "not_found", method, clientAuth = "client_auth", toolPolicy = "tool_policy",
             insufficientScope = "insufficient_scope", resourceMetadata = "resource_metadata"
        case toolAmbiguous = "tool_ambiguous", toolList = "tool_list", bodyTooLarge = "body_too_large"
        case badJSON = "bad_json", badJSONRPC = "bad_jsonrpc", headTooLarge = "head_too_large"
        case malformedHTTP = "malformed_http", bodyTimeout = "body_timeout", upstream, rateLimit = "rate_limit"
    }

    var reason: Reason {
        switch self {
        case .hostNotAllowed: return .host
        case .malformedHost: return .badHost
        case .bodyNotAllowed: return .bodyNotAllowed
        case .originNotAllowed: return .origin
        case .badTarget: return .target
        case .discoveryProbe: return .discovery
        case .notFound: return .notFound
        case .methodNotAllowed: return .method
        case .unauthenticated: return .clientAuth
        case .tokenChallenge(let kind): return kind == .insufficientScope ? .insufficientScope : .clientAuth
        case .protectedResourceMetadata: return .resourceMetadata
        case .toolRefused: return .toolPolicy
        case .ambiguousToolCall: return .toolAmbiguous
        case .toolListUnfilterable: return .toolList
        case .bodyTooLarge: return .bodyTooLarge
        case .bodyNotJSON: return .badJSON
        case .bodyNotJSONRPC: return .badJSONRPC
        case .headTooLarge: return .headTooLarge
        case .malformedHTTP: return .malformedHTTP
        case .bodyTimedOut: return .bodyTimeout
        case .rateLimited: return .rateLimit
        case .upstreamFailed: return .upstream
        }
    }
}

extension LocalAnswer.Reason {
    /// Whether the answer was a refusal (`LocalAnswer.isRejection`; the audit trail reads it from
    /// the reason the exchange kept). The protected-resource metadata is an answer the client
    /// asked for, not a refusal.
    var isRejection: Bool {
        switch self {
        case .upstream, .toolList, .resourceMetadata: return false
        default: return true
        }
    }
}

extension LocalResponse {
    /// The response that carries `answer` to the client, in the JSON-RPC error shape for MCP
    /// requests so that clients show the message instead of a parse failure.
    init(_ answer: LocalAnswer, runtime: ProfileRuntime) {
        let profile = runtime.profile.name
        switch answer {
        case .hostNotAllowed:
            self = .jsonRPCError(.forbidden, code: -32600, message: "Host header does not name this proxy (DNS rebinding protection)", profile: profile)
        case .malformedHost:
            self = .jsonRPCError(.badRequest, code: -32600, message: "the Host header is missing or malformed (host[:port], port 1-65535)", profile: profile)
        case .bodyNotAllowed(let method):
            self = .jsonRPCError(.badRequest, code: -32600, message: "a \(method) request to the MCP endpoint carries no body; send JSON-RPC messages with POST", profile: profile)
        case .originNotAllowed:
            self = .jsonRPCError(.forbidden, code: -32600, message: "Origin not allowed; add it to allowed_origins to permit it", profile: profile)
        case .badTarget(let reason):
            self = .jsonRPCError(.badRequest, code: -32600, message: "refused request target: \(reason)", profile: profile)
        case .discoveryProbe:
            self = .discoveryNotFound(profile: profile)
        case .notFound:
            self = .notFound(profile: profile)
        case .methodNotAllowed(let method):
            self = .jsonRPCError(.methodNotAllowed, code: -32600, message: "method \(method) is not supported on the MCP endpoint", profile: profile)
            extraHeaders = [("allow", RequestRouter.allowedMethods.joined(separator: ", "))]
        case .unauthenticated:
            self = .jsonRPCError(.unauthorized, code: -32600, message: "this profile needs a client token: send Authorization: Bearer <token> (client_auth: bearer)", profile: profile)
            extraHeaders = [("www-authenticate", #"Bearer realm="mcp-auth-proxy""#)]
        case .tokenChallenge(let kind):
            let oauth = runtime.inboundOAuth
            switch kind {
            case .noToken, .invalidToken:
                self = .jsonRPCError(.unauthorized, code: -32600, message: kind == .noToken
                    ? "this listener needs an OAuth access token: sign in with the identity provider its protected-resource metadata names"
                    : "the access token is not accepted (invalid, expired, or not for this listener): sign in again", profile: profile)
                extraHeaders = [("www-authenticate", kind == .noToken ? oauth?.challenges.noToken ?? "Bearer" : oauth?.challenges.invalidToken ?? "Bearer")]
            case .insufficientScope:
                let scopes = runtime.profile.clientAuth.oauth?.requiredScopes.joined(separator: " ") ?? ""
                self = .jsonRPCError(.forbidden, code: -32600, message: "the access token lacks a scope this listener requires (\(scopes)): sign in again asking for it", profile: profile)
                extraHeaders = [("www-authenticate", oauth?.challenges.insufficientScope ?? "Bearer")]
            }
        case .protectedResourceMetadata:
            self = LocalResponse(status: .ok, body: runtime.inboundOAuth?.metadata ?? "{}")
        case .toolRefused(let refusal):
            self = LocalResponse(status: .ok, body: refusal.response(profile: profile))
        case .toolListUnfilterable(let filter, let failure):
            self = LocalResponse(status: .ok, body: filter.failureResponse(failure, profile: profile))
        case .ambiguousToolCall(let reason):
            self = .jsonRPCError(.badRequest, code: -32600, message: "refused by the tool policy: \(reason)", profile: profile)
        case .bodyTooLarge:
            self = .jsonRPCError(.payloadTooLarge, code: -32600, message: "request body exceeds max_request_body (\(runtime.profile.maxRequestBody))", profile: profile)
        case .bodyNotJSON:
            self = .jsonRPCError(.badRequest, code: -32700, message: "Parse error: the body is not valid JSON (or nests deeper than \(JSONNode.maximumDepth) levels)", profile: profile)
        case .bodyNotJSONRPC:
            self = .jsonRPCError(.badRequest, code: -32600, message: "Invalid Request: expected a JSON-RPC 2.0 object or a non-empty batch", profile: profile)
        case .headTooLarge:
            self = .jsonRPCError(.requestHeaderFieldsTooLarge, code: -32600, message: "request head exceeds \(RequestParser.maxHeadBytes) bytes", profile: profile)
        case .malformedHTTP(let reason):
            self = .jsonRPCError(.badRequest, code: -32600, message: "malformed HTTP request: \(reason)", profile: profile)
        case .bodyTimedOut:
            self = .jsonRPCError(.requestTimeout, code: -32600, message: "request body not received within \(runtime.limits.requestBodyTimeout.nanoseconds / 1_000_000_000)s", profile: profile)
        case .rateLimited(let refusal):
            let which = refusal.scope == .client ? "this client's" : "this profile's"
            self = .jsonRPCError(.tooManyRequests, code: -32000,
                                 message: "rate limited: over \(which) limit (rate_limit.\(refusal.scope.rawValue): \(refusal.rate)); retry after \(refusal.retryAfterSeconds)s",
                                 profile: profile)
            extraHeaders = [("retry-after", String(refusal.retryAfterSeconds))]
        case .upstreamFailed(let failure):
            let status = HTTPResponseStatus(statusCode: failure.status)
            self = .jsonRPCError(status, code: -32603, message: "\(failure.summary) (profile \(profile))", profile: profile)
        }
    }
}
