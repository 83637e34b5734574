import Foundation

/// A throw-away self-signed certificate for `localhost` and 127.0.0.1, made with the openssl CLI,
/// so TLS tests run against a real handshake and a real trust decision.
public struct TestCertificate: Sendable {
    public let certificatePath: String
    public let privateKeyPath: String

    public static func make() throws -> TestCertificate {
        let directory = NSTemporaryDirectory() + "tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let run = try ToolProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        guard run.status == 0 else { throw CocoaError(.fileWriteUnknown) }
        return TestCertificate(certificatePath: certificate, privateKeyPath: key)
    }
}
