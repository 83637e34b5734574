import ArgumentParser
import Foundation
import NIOPosix
import ProxyAWS
import ProxyOAuth
import ProxyConfig
import ProxyDataPlane
import ProxySigning

/// `sign`: shows what the proxy would sign and send for one request to a profile's listener —
/// the exact string to sign (escaped) and the headers it adds — never a secret or a token. With
/// `--time` the output is reproducible, to hold next to a gateway's documentation.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Show what a profile's scheme signs and the headers it adds for one request (no secret is shown).")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "The request method.")
    var method = "POST"

    @Option(name: .long, help: "The path a client would request on the listener (default: the profile's mcp_path).")
    var path: String?

    @Option(name: .long, help: "A file with the request body (schemes that sign the body use it).")
    var body: String?

    @Option(name: .long, help: "The signing time, ISO 8601 (e.g. 2026-12-01T12:00:00Z); default: now.")
    var time: String?

    @Option(name: .long, help: "The nonce, for schemes that sign one.")
    var nonce: String?

    func run() async throws {
        let profile = try OAuthProfileSelection.select(options)
        let method = method.uppercased()
        let target = path ?? profile.mcpPath
        guard case .forward(let upstreamTarget) = RequestRouter(profile: profile).route(method: method, target: target) else {
            throw CLIError("the listener would not forward \(method) \(target): it is not under mcp_path \(profile.mcpPath), or not a method the MCP endpoint takes")
        }
        var milliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        if let time {
            guard let date = ISO8601DateFormatter().date(from: time) else { throw CLIError("--time \(time) is not an ISO 8601 time such as 2026-12-01T12:00:00Z") }
            milliseconds = Int64(date.timeIntervalSince1970 * 1000)
        }
        let bodyBytes = try body.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        // An aws-sigv4 profile's credentials, asked of its source as the proxy would ask them.
        var awsCredentials: AWSCredentials?
        if let aws = profile.aws {
            let resolver = AWSCredentialResolver(settings: aws, environment: ProcessInfo.processInfo.environment,
                                                 http: OAuthHTTPClient(group: MultiThreadedEventLoopGroup.singleton, caFile: profile.caFile))
            do {
                awsCredentials = try await resolver.resolve()
            } catch {
                throw CLIError("no AWS credentials from \(aws.credentials): \(error)")
            }
        }
        let explanation = SigningExplanation.explain(profile: profile, method: method, target: upstreamTarget, body: bodyBytes.map { Array($0) },
                                                     nonce: nonce, unixMilliseconds: milliseconds, awsCredentials: awsCredentials)
        let template = profile.signing.template
        var out = "profile \(profile.name): auth_scheme \(profile.authScheme.rawValue), \(method) \(profile.upstream.scheme.rawValue)://\(profile.upstream.authority)\(upstreamTarget)\n"
        if let escaped = explanation.escapedCanonicalRequest {
            out += "canonical request (\(explanation.canonicalRequestLength) bytes):\n  \(escaped)\n"
        }
        if let escaped = explanation.escapedStringToSign, let bytes = explanation.stringToSign {
            out += "string to sign (\(bytes.count) bytes):\n  \(escaped)\n"
        }
        for note in explanation.notes { out += "\(note)\n" }
        out += explanation.headers.isEmpty ? "headers the proxy adds: none\n" : "headers the proxy adds:\n"
        for header in explanation.headers { out += "  \(header.name): \(header.value)\n" }
        if let bodyBytes, template?.usesBody != true, profile.aws == nil { out += "body: \(bodyBytes.count) bytes, not part of this scheme's signature\n" }
        if nonce != nil, template == nil { out += "nonce: not used by this scheme\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
