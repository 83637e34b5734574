#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOSSL

/// `client_cert_file` and `client_key_file`: a client certificate for mutual TLS to the upstream.
/// Both or neither, https upstreams only, and checked at start-up (and at each reload) where they
/// are written: readable PEM, the key matching the certificate, the certificate in date.
extension ProfileBuilder {
    /// Outer nil: invalid; `.some(nil)`: no client certificate.
    mutating func clientCertificateFiles(upstream: UpstreamURL?) -> (certificate: String, key: String)?? {
        let certificateSource = written("client_cert_file")
        let keySource = written("client_key_file")
        guard certificateSource != nil || keySource != nil else { return .some(nil) }
        guard let certificateSource, let keySource else {
            let (set, other) = certificateSource != nil ? ("client_cert_file", "client_key_file") : ("client_key_file", "client_cert_file")
            report(fields[set], "`\(set)` needs `\(other)`: the certificate and its key go together", fix: "add `\(other):`, or remove `\(set)`")
            return nil
        }
        guard let certificate = text("client_cert_file", required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write the PEM file's path"),
              let key = text("client_key_file", required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write the PEM file's path") else {
            return nil
        }
        if let upstream, upstream.scheme != .https {
            report(certificateSource, "a client certificate needs an https upstream, and \(upstream) is plain http",
                   fix: "use an https:// upstream_url, or remove client_cert_file and client_key_file")
            return nil
        }
        guard certificatePair(certificate: certificate, key: key, certificateSource: certificateSource, keySource: keySource,
                              role: "client certificate", forServer: false) != nil else { return nil }
        return .some((certificate, key))
    }

    /// Reads and checks a PEM certificate (chain, leaf first) and its key: readable, in date, the key
    /// matching (NIOSSL builds a context with both), a group/world-readable key warned about.
    mutating func certificatePair(certificate: String, key: String, certificateSource: FieldSource, keySource: FieldSource,
                                  role: String, forServer: Bool) -> NIOSSLCertificate? {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            report(certificateSource, "cannot read a PEM certificate from \(quoted(certificate)) (\(error))",
                   fix: "give the path of a readable PEM file with the \(role) first")
            return nil
        }
        guard let leaf = chain.first else {
            report(certificateSource, "\(quoted(certificate)) holds no certificate", fix: "give a PEM file with the \(role) first")
            return nil
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            report(keySource, "cannot read a PEM private key from \(quoted(key)) (\(error))",
                   fix: "give the path of a readable, unencrypted PEM private key")
            return nil
        }
        let now = time(nil)
        if leaf.notValidAfter < now {
            report(certificateSource, "the \(role) in \(quoted(certificate)) expired \(Self.date(leaf.notValidAfter))",
                   fix: "renew the certificate and reload")
            return nil
        }
        if leaf.notValidBefore > now {
            report(certificateSource, "the \(role) in \(quoted(certificate)) is not valid before \(Self.date(leaf.notValidBefore))",
                   fix: "check the machine's clock, or the certificate's dates")
            return nil
        }
        var configuration = forServer
            ? TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            : TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(privateKey)
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            report(keySource, "the key in \(quoted(key)) does not match the certificate in \(quoted(certificate))",
                   fix: "give the private key the certificate was issued for")
            return nil
        }
        warnIfShared(key, at: keySource, label: "key file")
        return leaf
    }

    static func date(_ seconds: time_t) -> String {
        var parts = tm()
        var value = seconds
        gmtime_r(&value, &parts)
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        let day = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
        return day + " \(two(parts.tm_hour)):\(two(parts.tm_min)) UTC"
    }
}
