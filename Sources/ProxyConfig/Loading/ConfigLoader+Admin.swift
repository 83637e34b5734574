/// A root-level block of one file (`admin:`, `audit:`, `otel:`): where it is and its entries.
struct RootBlock {
    var path: String
    var mark: SourceMark
    var entries: [String: YAMLEntry]
}

extension ConfigLoader {
    /// A root block that may be written in one file only: every later one is an error. The
    /// block's entries as `name.key` fields, and where it is declared; nil without one.
    static func singleBlock(_ name: String, _ blocks: [RootBlock], into diagnostics: inout [Diagnostic])
        -> (fields: [String: FieldSource], declaration: ConfigOrigin)? {
        for extra in blocks.dropFirst() {
            diagnostics.append(Diagnostic(.error, at: .file(path: extra.path, mark: extra.mark), keyPath: name,
                                          "`\(name):` is also configured in \(blocks[0].path)", fixIt: "keep one `\(name):` block across all config files"))
        }
        guard let block = blocks.first else { return nil }
        var fields: [String: FieldSource] = [:]
        for (key, entry) in block.entries {
            fields["\(name).\(key)"] = FieldSource(value: .node(entry.value), origin: .file(path: block.path, mark: entry.value.mark), keyPath: "\(name).\(key)")
        }
        return (fields, .file(path: block.path, mark: block.mark))
    }

    /// The `admin:` block: found in at most one file, overridden by `MCP_AUTH_PROXY_ADMIN_HOST`
    /// and `MCP_AUTH_PROXY_ADMIN_PORT` (either of which also turns the listener on without a
    /// block), and checked like a profile's listener: loopback unless `allow_remote: true`, no port
    /// shared with a served profile.
    static func adminSettings(_ blocks: [RootBlock], profiles: [Profile], environment: [String: String],
                              into diagnostics: inout [Diagnostic]) -> AdminSettings? {
        for extra in blocks.dropFirst() {
            diagnostics.append(Diagnostic(.error, at: .file(path: extra.path, mark: extra.mark), keyPath: "admin",
                                          "`admin:` is also configured in \(blocks[0].path)",
                                          fixIt: "keep one `admin:` block across all config files"))
        }
        let hostOverride = environment[AdminSettings.hostVariable]
        let portOverride = environment[AdminSettings.portVariable]
        guard blocks.first != nil || hostOverride != nil || portOverride != nil else { return nil }

        var fields: [String: FieldSource] = [:]
        let declaration: ConfigOrigin
        if let block = blocks.first {
            declaration = .file(path: block.path, mark: block.mark)
            for (key, entry) in block.entries {
                fields[key] = FieldSource(value: .node(entry.value), origin: .file(path: block.path, mark: entry.value.mark), keyPath: "admin.\(key)")
            }
        } else {
            declaration = .environment(variable: portOverride != nil ? AdminSettings.portVariable : AdminSettings.hostVariable)
        }
        if let hostOverride {
            fields["listen_host"] = FieldSource(value: .text(hostOverride), origin: .environment(variable: AdminSettings.hostVariable), keyPath: nil)
        }
        if let portOverride {
            fields["listen_port"] = FieldSource(value: .text(portOverride), origin: .environment(variable: AdminSettings.portVariable), keyPath: nil)
        }
        if fields["listen_port"] == nil {
            fields["listen_port"] = FieldSource(value: .text(String(AdminSettings.defaultPort)), origin: .builtInDefault, keyPath: nil)
        }
        // The profile builder's typed values (and their diagnostics) serve the block as well.
        var builder = ProfileBuilder(name: "admin", declaration: declaration, declarationPath: "admin", fields: fields, environment: environment)
        let host = builder.listenHostValue()
        let port = builder.port("listen_port")
        let allowRemote = builder.bool("allow_remote", default: false)
        if let host, !HostName.isLoopback(host), allowRemote == false {
            builder.report(fields["listen_host"], "\(host) is not a loopback address; the admin endpoints would be open to the network",
                           fix: "listen on 127.0.0.1, or set `allow_remote: true` under `admin:` to expose them deliberately")
        }
        if let port, let profile = profiles.first(where: { $0.listenPort == port }) {
            builder.report(fields["listen_port"], "port \(port) is already the listen_port of profile `\(profile.name)`",
                           fix: "give the admin listener its own port (the default is \(AdminSettings.defaultPort))")
        }
        diagnostics += builder.diagnostics
        guard builder.diagnostics.errors.isEmpty, let host, let port, let allowRemote else { return nil }
        return AdminSettings(listenHost: host, listenPort: port, allowRemote: allowRemote, origins: builder.origins)
    }
}
