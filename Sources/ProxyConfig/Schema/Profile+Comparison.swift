extension Profile {
    /// Whether `other` serves exactly like this profile: every setting and the secret's bytes and
    /// source, but not where each value was written (`origins`), so that a reload after moving a
    /// line or a comment changes nothing.
    package func hasSameSettings(as other: Profile) -> Bool {
        name == other.name && upstream == other.upstream && keyID == other.keyID && secret == other.secret
            && listenHost == other.listenHost && listenPort == other.listenPort && allowRemote == other.allowRemote
            && allowInsecureUpstream == other.allowInsecureUpstream && mcpPath == other.mcpPath
            && heartbeatInterval == other.heartbeatInterval && connectTimeout == other.connectTimeout
            && requestTimeout == other.requestTimeout && maxRequestBody == other.maxRequestBody
            && allowedOrigins == other.allowedOrigins && upstreamStreaming == other.upstreamStreaming
            && caFile == other.caFile && signing == other.signing && authScheme == other.authScheme
            && authHeader == other.authHeader && clientCertFile == other.clientCertFile && clientKeyFile == other.clientKeyFile
            && clientAuth == other.clientAuth && listenerTLS == other.listenerTLS && listenUnix == other.listenUnix
            && toolPolicy == other.toolPolicy && oauth == other.oauth && jwt == other.jwt && aws == other.aws
            && maxUpstreamConnections == other.maxUpstreamConnections && rateLimit == other.rateLimit
    }

    /// Whether `other` listens where this profile does (a reload then keeps the listener).
    package func listensLike(_ other: Profile) -> Bool {
        listenUnix?.path == other.listenUnix?.path && listenHost == other.listenHost && listenPort == other.listenPort
    }

    /// The files whose content this profile depends on: its secret file, when it has one (the
    /// `--watch` mode polls them).
    package var watchedFiles: [String] {
        var files = [clientCertFile, clientKeyFile, listenerTLS?.certificateFile, listenerTLS?.keyFile].compactMap { $0 }
        if case .file(let path) = secret.source { files.append(path) }
        if case .file(let path)? = oauth?.clientSecret?.source { files.append(path) }
        if case .file(let path)? = jwt?.privateKey.source { files.append(path) }
        if case .bearer(let tokens) = clientAuth {
            for token in tokens { if case .file(let path) = token.token.source { files.append(path) } }
        }
        return files
    }
}
