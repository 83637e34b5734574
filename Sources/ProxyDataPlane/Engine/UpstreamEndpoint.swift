import Atomics
import NIOCore
import ProxyMetrics
import NIOSSL
import ProxyConfig

/// Where one profile's requests go and how to connect: resolved and TLS-configured once at start-up.
package final class UpstreamEndpoint: Sendable {
    package let url: UpstreamURL
    /// The `Host` header value, computed once.
    let authority: String
    let tlsContext: NIOSSLContext?
    let connectTimeout: TimeAmount
    let requestTimeout: TimeAmount
    /// The profile's tally, which also watches its upstream connections.
    let liveObjects: LiveObjectTally
    /// The profile's upstream connection gauges, when metrics are on.
    let metrics: ProfileMetrics?
    /// Set when a reload replaced this endpoint: its connections finish the requests they carry
    /// and are then closed instead of going back to the pool.
    private let retired = ManagedAtomic(false)

    var isRetired: Bool { retired.load(ordering: .relaxed) }

    func retire() { retired.store(true, ordering: .relaxed) }

    init(profile: Profile, liveObjects: LiveObjectTally, metrics: ProfileMetrics? = nil) throws {
        self.liveObjects = liveObjects
        self.metrics = metrics
        url = profile.upstream
        authority = profile.upstream.authority
        connectTimeout = .milliseconds(profile.connectTimeout.milliseconds)
        requestTimeout = .milliseconds(profile.requestTimeout.milliseconds)
        guard profile.upstream.scheme == .https else {
            tlsContext = nil
            return
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = profile.caFile {
            let extra = try NIOSSLCertificate.fromPEMFile(caFile)
            configuration.additionalTrustRoots = [.certificates(extra)]
        }
        if let certificate = profile.clientCertFile, let key = profile.clientKeyFile {
            // Mutual TLS: validated by the loader at the keys that name these files.
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        tlsContext = try NIOSSLContext(configuration: configuration)
    }

    /// SNI is sent for host names only; RFC 6066 forbids it for IP literals.
    var serverHostname: String? {
        HostName.ipv4Octets(url.host) != nil || url.host.contains(":") ? nil : url.host
    }
}
