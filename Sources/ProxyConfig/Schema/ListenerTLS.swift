/// TLS on a profile's own listener (`tls_cert_file`, `tls_key_file`): MCP clients then connect
/// with `https://`. What `check` shows about the certificate is kept beside the paths.
package struct ListenerTLS: Sendable, Hashable {
    package let certificateFile: String
    package let keyFile: String
    /// `CN=…` and the subject alternative names, for `check`.
    package let subject: String
    /// Seconds since the epoch.
    package let notValidAfter: Int
    /// `2027-03-01 12:00 UTC`, for `check`.
    package let expiry: String

    package init(certificateFile: String, keyFile: String, subject: String, notValidAfter: Int, expiry: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.subject = subject
        self.notValidAfter = notValidAfter
        self.expiry = expiry
    }

    /// A listener certificate this close to its end earns a warning at `check`, start-up and reload.
    package static let warningDays = 14
}
