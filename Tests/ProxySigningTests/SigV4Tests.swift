import Testing
import ProxyConfig
@testable import ProxySigning

/// The AWS Signature Version 4 test suite (AWS, Apache License 2.0; as published in botocore's
/// tests/unit/auth/aws4_testsuite): every case whose headers a forwarded request can carry. The
/// cases about client header canonicalisation (get-header-*, post-header-*) are left out: the
/// proxy signs only the headers it writes itself, and post-sts-header-after signs no token.
@Suite("AWS SigV4")
struct SigV4Tests {
    struct Vector: CustomTestStringConvertible, Sendable {
        let name, method, target: String
        let headers: [(String, String)]
        let body: String
        let canonicalRequest: String
        let signature: String
        init(_ name: String, _ method: String, _ target: String, headers: [(String, String)], body: String, canonicalRequest: String, signature: String) {
            (self.name, self.method, self.target, self.headers, self.body, self.canonicalRequest, self.signature) = (name, method, target, headers, body, canonicalRequest, signature)
        }
        var testDescription: String { name }
    }

    static let secret = Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8)
    /// 20150830T123600Z
    static let suiteTime: Int64 = 1_440_938_160

    static let vectors: [Vector] = [
        Vector("get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", headers: [], body: "",
               canonicalRequest: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector("get-utf8", "GET", "/ሴ", headers: [], body: "",
               canonicalRequest: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector("get-vanilla-empty-query-key", "GET", "/?Param1=value1", headers: [], body: "",
               canonicalRequest: "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
        Vector("get-vanilla-query-order-encoded", "GET", "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1", headers: [], body: "",
               canonicalRequest: "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
        Vector("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", headers: [], body: "",
               canonicalRequest: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector("get-vanilla-query-order-key", "GET", "/?Param1=value2&Param1=Value1", headers: [], body: "",
               canonicalRequest: "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        Vector("get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", headers: [], body: "",
               canonicalRequest: "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Vector("get-vanilla-query-unreserved", "GET", "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", headers: [], body: "",
               canonicalRequest: "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector("get-vanilla-query", "GET", "/", headers: [], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector("get-vanilla-utf8-query", "GET", "/?ሴ=bar", headers: [], body: "",
               canonicalRequest: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector("get-vanilla-with-session-token", "GET", "/", headers: [("x-amz-security-token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267")], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
        Vector("get-vanilla", "GET", "/", headers: [], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector("get-relative-relative", "GET", "/example1/example2/../..", headers: [], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector("get-relative", "GET", "/example/..", headers: [], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector("get-slash-dot-slash", "GET", "/./", headers: [], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector("get-slash-pointless-dot", "GET", "/./example", headers: [], body: "",
               canonicalRequest: "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
        Vector("get-slash", "GET", "//", headers: [], body: "",
               canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector("get-slashes", "GET", "//example//", headers: [], body: "",
               canonicalRequest: "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
        Vector("get-space", "GET", "/example space/", headers: [], body: "",
               canonicalRequest: "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        Vector("get-special-character", "GET", "/example/$delete", headers: [], body: "",
               canonicalRequest: "GET\n/example/%24delete\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27"),
        Vector("post-sts-header-before", "POST", "/", headers: [("x-amz-security-token", "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==")], body: "",
               canonicalRequest: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
        Vector("post-vanilla-empty-query-value", "POST", "/?Param1=value1", headers: [], body: "",
               canonicalRequest: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector("post-vanilla-query", "POST", "/?Param1=value1", headers: [], body: "",
               canonicalRequest: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector("post-vanilla", "POST", "/", headers: [], body: "",
               canonicalRequest: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector("post-x-www-form-urlencoded-parameters", "POST", "/", headers: [("content-type", "application/x-www-form-urlencoded; charset=utf8")], body: "Param1=value1",
               canonicalRequest: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
               signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
        Vector("post-x-www-form-urlencoded", "POST", "/", headers: [("content-type", "application/x-www-form-urlencoded")], body: "Param1=value1",
               canonicalRequest: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
               signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    @Test("the test suite's canonical requests and signatures", arguments: vectors)
    func suite(_ vector: Vector) {
        let amzDate = SigV4.amzDate(unixSeconds: Self.suiteTime)
        #expect(amzDate == "20150830T123600Z")
        let headers = [(name: "host", value: "example.amazonaws.com"), (name: "x-amz-date", value: amzDate)] + vector.headers.map { (name: $0.0, value: $0.1) }
        let canonical = SigV4.canonicalRequest(method: vector.method, target: vector.target, headers: headers,
                                               payloadHash: SigV4.hexSHA256(Array(vector.body.utf8)))
        #expect(String(decoding: canonical.bytes, as: UTF8.self) == vector.canonicalRequest)
        let scope = SigV4.scope(day: amzDate.prefix(8), region: "us-east-1", service: "service")
        let key = SigV4.signingKey(secret: Self.secret, day: amzDate.prefix(8), region: "us-east-1", service: "service")
        let signature = SigV4.signature(of: SigV4.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical.bytes), key: key)
        #expect(signature == vector.signature)
    }

    /// botocore 1.44's `SigV4Auth` signing the same MCP POST (host with a port, a body, with and
    /// without a session token) at 2026-12-01T12:00:00Z.
    @Test("the signer's headers match botocore's for an MCP request", arguments: [
        (nil as String?, "f89d9a0cf9f1178ba9f0fcf1497e4514db062a074d403a62bff3e38558af64ce"),
        ("FQoGZXIvYXdzEXAMPLETOKEN//+==", "fe58c875b2e9dde6078f7f581367726fe395dbd25420d495b2cafb8e6939d5c1"),
    ])
    func signer(token: String?, signature: String) throws {
        let slot = AWSCredentialSlot(region: "eu-west-1", service: "bedrock-agentcore", problem: "none")
        slot.store(AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: token))
        let signer = SigV4Signer(authority: "mcp.example.com:8443", slot: slot)
        let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8)
        var fields: [String: String] = [:]
        body.withUnsafeBytes { body in
            signer.sign(method: "POST", target: "/v1/mcp", body: body, header: { _ in nil }, key: Self.unusedKey, unixMilliseconds: 1_796_126_400_000) { name, value in
                fields[name] = String(decoding: value, as: UTF8.self)
            }
        }
        let signed = token == nil ? "host;x-amz-content-sha256;x-amz-date" : "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
        #expect(fields["authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/eu-west-1/bedrock-agentcore/aws4_request, SignedHeaders=\(signed), Signature=\(signature)")
        #expect(fields["x-amz-date"] == "20261201T120000Z")
        #expect(fields["x-amz-content-sha256"] == "b9e9dd030c7c21f7951be2c67c4f74cf2ef76960e7355887b6afa33c074df553")
        #expect(fields["x-amz-security-token"] == token)
    }

    @Test("the signer's canonical request is the reference one's, byte for byte", arguments: [
        "/mcp", "/", "/v1/mcp/", "/mcp?b=2&a=1", "/a/./b", "/a/../b", "//mcp", "/mcp//x", "/.", "/..", "/.well-known/x", "/a.b/..c/...",
        "/x%20y", "/caf\u{E9}", "/mcp?tenant=a%20b&x", "/a/.", "/a/..", "/~user/-_.", "/mcp/",
    ])
    func fastPath(target: String) throws {
        let slot = AWSCredentialSlot(region: "us-east-1", service: "execute-api", problem: "none")
        slot.store(AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: "token"))
        let signer = SigV4Signer(authority: "example.com:8443", slot: slot)
        let body = Array("{}".utf8)
        let signed = try #require(body.withUnsafeBytes { signer.signature(method: "POST", target: target, body: $0, unixSeconds: Self.suiteTime) })
        let hash = SigV4.hexSHA256(body)
        let reference = SigV4.canonicalRequest(method: "POST", target: target, headers: [
            ("host", "example.com:8443"), ("x-amz-content-sha256", hash), ("x-amz-date", "20150830T123600Z"), ("x-amz-security-token", "token")],
            payloadHash: hash)
        #expect(String(decoding: signed.canonicalRequest, as: UTF8.self) == String(decoding: reference.bytes, as: UTF8.self))
        let scope = SigV4.scope(day: "20150830", region: "us-east-1", service: "execute-api")
        #expect(signed.stringToSign == SigV4.stringToSign(amzDate: "20150830T123600Z", scope: scope, canonicalRequest: reference.bytes))
        #expect(signed.scope == scope)
    }

    @Test("without credentials the signer writes nothing")
    func empty() throws {
        let slot = AWSCredentialSlot(region: "us-east-1", service: "lambda", problem: "no credentials yet")
        var count = 0
        SigV4Signer(authority: "example.com", slot: slot).sign(method: "POST", target: "/", key: Self.unusedKey, unixMilliseconds: 0) { _, _ in count += 1 }
        #expect(count == 0)
        #expect(slot.problem == "no credentials yet")
    }

    @Test("the day's signing key is derived again when the day or the credentials change")
    func keyCache() {
        let slot = AWSCredentialSlot(region: "us-east-1", service: "service", problem: "none")
        slot.store(AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret))
        let day = SigV4.amzDate(unixSeconds: Self.suiteTime)
        let next = SigV4.amzDate(unixSeconds: Self.suiteTime + 86400)
        let input: [UInt8] = Array("x".utf8)
        func mac(_ seconds: Int64, _ date: String) -> String? { slot.material(unixSeconds: seconds).map { SigV4.signature(of: input, key: $0.key) } }
        let first = mac(Self.suiteTime, day)
        #expect(first == SigV4.signature(of: input, key: SigV4.signingKey(secret: Self.secret, day: day.prefix(8), region: "us-east-1", service: "service")))
        #expect(mac(Self.suiteTime + 86400, next) != first)
        slot.store(AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Array("other".utf8)))
        #expect(mac(Self.suiteTime + 86400, next) == SigV4.signature(of: input, key: SigV4.signingKey(secret: Array("other".utf8), day: next.prefix(8), region: "us-east-1", service: "service")))
    }

    @Test("x-amz-date across years, leap days and the epoch")
    func dates() {
        #expect(SigV4.amzDate(unixSeconds: 0) == "19700101T000000Z")
        #expect(SigV4.amzDate(unixSeconds: 951_825_599) == "20000229T115959Z")
        #expect(SigV4.amzDate(unixSeconds: 1_798_761_599) == "20261231T235959Z")
        #expect(SigV4.amzDate(unixSeconds: 4_107_542_400) == "21000301T000000Z")
        for seconds: Int64 in [0, 951_825_599, 1_798_761_599, 4_107_542_400, Self.suiteTime] {
            #expect(String(decoding: SigV4.amzDateBytes(unixSeconds: seconds), as: UTF8.self) == SigV4.amzDate(unixSeconds: seconds))
        }
    }

    static let unusedKey = SigningKey(keyID: "", secret: Secret(bytes: [], source: .none), options: SigningOptions())
}
