import Testing
import ProxyConfig
@testable import ProxySigning

@Suite("auth-gateway signatures")
struct AuthGatewaySignerTests {
    let secret = Secret(bytes: Array("test-secret-0123456789".utf8), source: .environment(variable: "TEST"))
    let at = Int64(1_700_000_000) * 1000

    func key(_ options: SigningOptions = SigningOptions()) -> SigningKey {
        SigningKey(keyID: "key-1", secret: secret, options: options)
    }

    @Test("POST /mcp matches the published hex vector")
    func postHex() {
        let headers = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: key(), unixMilliseconds: at)
        #expect(headers.signature.value == "6b3625dc486be4b0537a1d53ae58d0300e931aff49c5b78dbc5200f4e1c05511")
        #expect(headers.signature.name == "x-signature")
        #expect(headers.timestamp == ("x-timestamp", "1700000000"))
        #expect(headers.keyID == ("x-api-key-id", "key-1"))
    }

    @Test("POST /mcp matches the published base64 vector")
    func postBase64() {
        let headers = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: key(SigningOptions(encoding: .base64)), unixMilliseconds: at)
        #expect(headers.signature.value == "azYl3Ehr5LBTeh1TrljQMA6TGv9JxbeNvFIA9OHAVRE=")
    }

    @Test("the query and its percent-encoding are signed as sent")
    func getWithQuery() {
        let headers = AuthGatewaySigner().sign(method: "GET", target: "/v1/mcp?tenant=a%20b", key: key(), unixMilliseconds: at)
        #expect(headers.signature.value == "e7b6a71f12590fb9b064ae1a209a9e5247f230d51581527abbbc368ac1db7ac1")
    }

    @Test("DELETE /mcp with hmac-sha512 matches the published vector")
    func deleteSHA512() {
        let headers = AuthGatewaySigner().sign(method: "DELETE", target: "/mcp", key: key(SigningOptions(algorithm: .hmacSHA512)), unixMilliseconds: at)
        #expect(headers.signature.value == "cfc4b79cd2c64d58779657adc2f961aafb2646c85aad1c8cace2fd51d79c004d5cb2c0908b8d6fc29771e25193c59784536872ccf112ea500b080720bb418d67")
    }

    @Test("unix-ms timestamps are signed and sent in milliseconds")
    func milliseconds() {
        let headers = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: key(SigningOptions(timestampUnit: .unixMilliseconds)), unixMilliseconds: at + 123)
        #expect(headers.timestamp.value == "1700000000123")
        let other = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: key(SigningOptions(timestampUnit: .unixMilliseconds)), unixMilliseconds: at + 124)
        #expect(headers.signature.value != other.signature.value)
    }

    @Test("custom header names are used, lower-case")
    func customHeaders() {
        let options = SigningOptions(keyIDHeader: "x-gw-key", signatureHeader: "x-gw-sig", timestampHeader: "x-gw-ts")
        let headers = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: key(options), unixMilliseconds: at)
        #expect(headers.all.map(\.name) == ["x-gw-key", "x-gw-ts", "x-gw-sig"])
    }

    @Test("reusing the prepared key gives the same signature every time")
    func preparedStateIsNotConsumed() {
        let prepared = key()
        let first = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: prepared, unixMilliseconds: at)
        let second = AuthGatewaySigner().sign(method: "POST", target: "/mcp", key: prepared, unixMilliseconds: at)
        #expect(first == second)
    }

    @Test("descriptions never show the secret")
    func redaction() {
        #expect(!"\(key())".contains("test-secret"))
        #expect(!"\(secret)".contains("test-secret"))
        #expect(!String(reflecting: secret).contains("test-secret"))
    }

    @Test("base64 handles every padding length")
    func base64Padding() {
        func base64(_ text: String) -> String {
            let bytes = Array(text.utf8)
            var output = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4)
            bytes.withUnsafeBytes { input in output.withUnsafeMutableBufferPointer { SignatureEncoding.base64(input, into: $0) } }
            return String(decoding: output, as: UTF8.self)
        }
        #expect(base64("f") == "Zg==")
        #expect(base64("fo") == "Zm8=")
        #expect(base64("foo") == "Zm9v")
        #expect(base64("foob") == "Zm9vYg==")
    }
}
