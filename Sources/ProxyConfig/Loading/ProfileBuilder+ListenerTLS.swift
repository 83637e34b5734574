#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOSSL

/// `tls_cert_file` and `tls_key_file`: TLS on the profile's listener. Both or neither, checked
/// like a client certificate (readable, matching, in date), and a warning two weeks before expiry.
extension ProfileBuilder {
    /// Outer nil: invalid; `.some(nil)`: a plain listener.
    mutating func listenerTLSValue() -> ListenerTLS?? {
        let certificateSource = written("tls_cert_file")
        let keySource = written("tls_key_file")
        guard certificateSource != nil || keySource != nil else { return .some(nil) }
        guard let certificateSource, let keySource else {
            let (set, other) = certificateSource != nil ? ("tls_cert_file", "tls_key_file") : ("tls_key_file", "tls_cert_file")
            report(fields[set], "`\(set)` needs `\(other)`: the certificate and its key go together", fix: "add `\(other):`, or remove `\(set)`")
            return nil
        }
        guard let certificate = text("tls_cert_file", required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write the PEM file's path"),
              let key = text("tls_key_file", required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write the PEM file's path"),
              let leaf = certificatePair(certificate: certificate, key: key, certificateSource: certificateSource, keySource: keySource,
                                         role: "listener certificate", forServer: true) else { return nil }
        let expiry = Self.date(leaf.notValidAfter)
        let daysLeft = (Int(leaf.notValidAfter) - Int(time(nil))) / 86_400
        if daysLeft < ListenerTLS.warningDays {
            report(certificateSource, "the listener certificate in \(quoted(certificate)) expires in \(daysLeft) day(s), \(expiry)",
                   fix: "renew it and reload (SIGHUP): the new certificate serves new connections at once", severity: .warning)
        }
        return .some(ListenerTLS(certificateFile: certificate, keyFile: key, subject: Self.subject(of: leaf),
                                 notValidAfter: Int(leaf.notValidAfter), expiry: expiry))
    }

    /// `CN=name; names a,127.0.0.1`: the common name and the subject alternative names (what
    /// clients check), as NIOSSL's description of the certificate lists them.
    static func subject(of certificate: NIOSSLCertificate) -> String {
        var parts: [String] = []
        for field in certificate.description.dropFirst().dropLast().split(separator: ";") {
            if field.hasPrefix("common_name=") { parts.append("CN=" + field.dropFirst("common_name=".count)) }
            if field.hasPrefix("alternative_names=") { parts.append("names " + field.dropFirst("alternative_names=".count)) }
        }
        return parts.isEmpty ? "no subject names" : parts.joined(separator: "; ")
    }
}
