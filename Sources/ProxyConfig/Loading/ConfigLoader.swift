#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the user asked for: where to look and which profiles to serve.
package struct ConfigRequest: Sendable {
    package var configPath: String?
    package var profileNames: [String]
    package var environment: [String: String]
    package var workingDirectory: String

    package init(configPath: String? = nil, profileNames: [String] = [], environment: [String: String],
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.configPath = configPath
        self.profileNames = profileNames
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// The loader's answer: a config when there were no errors, and every diagnostic in display order.
package struct ConfigLoadResult: Sendable {
    package var config: ValidatedConfig?
    package var diagnostics: [Diagnostic]
}

/// Finds, parses and validates the configuration in one pass, collecting every problem.
package enum ConfigLoader {
    package static func load(_ request: ConfigRequest) -> ConfigLoadResult {
        var diagnostics: [Diagnostic] = []
        var profiles: [Profile] = []
        var files: [String] = []
        var adminBlocks: [RootBlock] = []
        var auditBlocks: [RootBlock] = []
        var otelBlocks: [RootBlock] = []
        switch ConfigLocator.locate(request, into: &diagnostics) {
        case .none:
            break
        case .environmentOnly:
            profiles = environmentOnlyProfiles(request, into: &diagnostics)
        case .files(let paths):
            files = paths
            profiles = fileProfiles(paths, request: request, admin: &adminBlocks, audit: &auditBlocks, otel: &otelBlocks, into: &diagnostics)
        }
        checkListenAddresses(profiles, into: &diagnostics)
        let admin = adminSettings(adminBlocks, profiles: profiles, environment: request.environment, into: &diagnostics)
        let audit = auditSettings(auditBlocks, environment: request.environment, into: &diagnostics)
        let otel = otelSettings(otelBlocks, environment: request.environment, into: &diagnostics)
        let sorted = diagnostics.sortedForDisplay()
        guard sorted.errors.isEmpty else { return ConfigLoadResult(config: nil, diagnostics: sorted) }
        return ConfigLoadResult(config: ValidatedConfig(profiles: profiles, warnings: sorted.warnings, files: files, admin: admin, audit: audit, otel: otel), diagnostics: sorted)
    }

    /// The unprefixed variable (`MCP_UPSTREAM_URL`…) for a schema key, if there is one.
    static func unprefixedVariable(forKey key: String) -> String? {
        SchemaKeys.environmentOverrides.first { $0.key == key }.map { "MCP_" + $0.suffix }
    }

    private static func environmentOnlyProfiles(_ request: ConfigRequest, into diagnostics: inout [Diagnostic]) -> [Profile] {
        let name = "default"
        if !request.profileNames.isEmpty, request.profileNames != [name] {
            diagnostics.append(Diagnostic(.error, at: .commandLine(option: "--profile"),
                                          "no config file was found, so the only profile is `default` (from MCP_UPSTREAM_URL)",
                                          fixIt: "drop --profile, or point --config at a profile file"))
        }
        var fields = overrides(forProfile: name, unprefixed: true, environment: request.environment)
        if fields["listen_port"] == nil {
            fields["listen_port"] = FieldSource(value: .text("8080"), origin: .builtInDefault, keyPath: nil)
        }
        var builder = ProfileBuilder(name: name, declaration: .environment(variable: "MCP_UPSTREAM_URL"), declarationPath: "",
                                     fields: fields, environment: request.environment)
        builder.environmentOnly = true
        let profile = builder.build()
        diagnostics += builder.diagnostics
        return profile.map { [$0] } ?? []
    }

    private static func fileProfiles(_ paths: [String], request: ConfigRequest, admin: inout [RootBlock], audit: inout [RootBlock], otel: inout [RootBlock],
                                     into diagnostics: inout [Diagnostic]) -> [Profile] {
        var parsed: [ParsedConfigFile] = []
        for path in paths {
            guard let data = FileContents.read(path) else {
                diagnostics.append(Diagnostic(.error, at: .file(path: path, mark: SourceMark(line: 1, column: 1)), "cannot read this file (or it is over 16 MiB)"))
                continue
            }
            let text = String(decoding: data, as: UTF8.self)
            if let file = ParsedConfigFile.read(path: path, text: text, into: &diagnostics) {
                parsed.append(file)
                if let block = file.admin { admin.append(RootBlock(path: path, mark: block.mark, entries: block.entries)) }
                if let block = file.audit { audit.append(RootBlock(path: path, mark: block.mark, entries: block.entries)) }
                if let block = file.otel { otel.append(RootBlock(path: path, mark: block.mark, entries: block.entries)) }
            }
        }
        var declared: [String: ConfigOrigin] = [:]
        var entries: [(file: ParsedConfigFile, profile: ParsedConfigFile.ProfileEntry)] = []
        for file in parsed {
            for profile in file.profiles {
                let origin = ConfigOrigin.file(path: file.path, mark: profile.nameMark)
                if let first = declared[profile.name] {
                    diagnostics.append(Diagnostic(.error, at: origin, keyPath: "profiles.\(profile.name)",
                                                  "profile `\(profile.name)` is also defined at \(first.messagePrefix ?? "\(first)")",
                                                  fixIt: "profile names must be unique across all config files; rename one"))
                    continue
                }
                declared[profile.name] = origin
                entries.append((file, profile))
            }
        }
        let selection = select(request.profileNames, known: entries.map(\.profile.name), into: &diagnostics)
        let unprefixedApplies = selection.count == 1
        if !unprefixedApplies { warnAboutUnprefixed(request.environment, selectedCount: selection.count, into: &diagnostics) }

        var profiles: [Profile] = []
        for (file, entry) in entries {
            let isSelected = selection.contains(entry.name)
            var fields = fileFields(entry, file: file, into: &diagnostics)
            if isSelected {
                fields.merge(overrides(forProfile: entry.name, unprefixed: unprefixedApplies, environment: request.environment)) { _, env in env }
            }
            var builder = ProfileBuilder(name: entry.name, declaration: .file(path: file.path, mark: entry.nameMark),
                                         declarationPath: "profiles.\(entry.name)", fields: fields, environment: request.environment)
            builder.isSelected = isSelected
            let profile = builder.build()
            diagnostics += builder.diagnostics
            if let profile { profiles.append(profile) }
        }
        if entries.isEmpty, diagnostics.errors.isEmpty {
            diagnostics.append(Diagnostic(.error, at: .file(path: paths.first ?? "", mark: SourceMark(line: 1, column: 1)),
                                          "no profile is defined", fixIt: "add a profile under `profiles:` (see profiles/example.yaml)"))
        }
        return profiles
    }

    /// The profile's own keys, then the file's `defaults:` for keys the profile does not set.
    private static func fileFields(_ entry: ParsedConfigFile.ProfileEntry, file: ParsedConfigFile, into diagnostics: inout [Diagnostic]) -> [String: FieldSource] {
        let keyPath = "profiles.\(entry.name)"
        let own = MappingReader.entries(of: entry.body, keyPath: keyPath, allowed: SchemaKeys.profile, path: file.path, into: &diagnostics)
        var fields: [String: FieldSource] = [:]
        func source(_ node: YAMLNode, _ path: String) -> FieldSource {
            FieldSource(value: .node(node), origin: .file(path: file.path, mark: node.mark), keyPath: path)
        }
        let blocks = SchemaKeys.nestedBlocks.map(\.name)
        for (key, entry) in file.defaults where !blocks.contains(key) { fields[key] = source(entry.value, "defaults.\(key)") }
        for (key, entry) in own where !blocks.contains(key) { fields[key] = source(entry.value, "\(keyPath).\(key)") }
        // A profile naming any secret source replaces all of the defaults' ones.
        let secretSources = ["secret_env", "secret_file", "secret_command"]
        if secretSources.contains(where: { own[$0] != nil }) {
            for key in secretSources where own[key] == nil { fields[key] = nil }
        }
        for (block, allowed) in SchemaKeys.nestedBlocks {
            for (layer, prefix) in [(file.defaults[block], "defaults.\(block)"), (own[block], "\(keyPath).\(block)")] {
                guard let node = layer?.value else { continue }
                guard case .mapping = node.content else {
                    if !node.isNull {
                        diagnostics.append(Diagnostic(.error, at: .file(path: file.path, mark: node.mark), keyPath: prefix,
                                                      "expected a mapping of \(block) options, found \(node.kindDescription)"))
                    }
                    continue
                }
                let entries = MappingReader.entries(of: node, keyPath: prefix, allowed: allowed, path: file.path, into: &diagnostics)
                for (key, entry) in entries { fields["\(block).\(key)"] = source(entry.value, "\(prefix).\(key)") }
            }
        }
        return fields
    }

    /// `MCP_<N>_…` for the profile, and the unprefixed `MCP_…` where those apply; prefixed wins.
    private static func overrides(forProfile name: String, unprefixed: Bool, environment: [String: String]) -> [String: FieldSource] {
        var fields: [String: FieldSource] = [:]
        let prefix = SchemaKeys.environmentPrefix(forProfile: name)
        for (suffix, key) in SchemaKeys.environmentOverrides {
            for variable in unprefixed ? ["MCP_" + suffix, prefix + suffix] : [prefix + suffix] {
                if let value = environment[variable] {
                    fields[key] = FieldSource(value: .text(value), origin: .environment(variable: variable), keyPath: nil)
                }
            }
        }
        return fields
    }

    private static func select(_ requested: [String], known: [String], into diagnostics: inout [Diagnostic]) -> Set<String> {
        guard !requested.isEmpty else { return Set(known) }
        var selection = Set<String>()
        for name in requested {
            if known.contains(name) {
                selection.insert(name)
                continue
            }
            let hint = Suggestion.closest(to: name, among: known).map { "did you mean `\($0)`? " } ?? ""
            let list = known.isEmpty ? "none are defined" : "known profiles: \(known.joined(separator: ", "))"
            diagnostics.append(Diagnostic(.error, at: .commandLine(option: "--profile"), "no profile named `\(name)`", fixIt: hint + list))
        }
        return selection
    }

    private static func warnAboutUnprefixed(_ environment: [String: String], selectedCount: Int, into diagnostics: inout [Diagnostic]) {
        for (suffix, _) in SchemaKeys.environmentOverrides where environment["MCP_" + suffix] != nil {
            diagnostics.append(Diagnostic(.warning, at: .environment(variable: "MCP_" + suffix),
                                          "ignored: unprefixed overrides apply only when exactly one profile is selected (\(selectedCount) are)",
                                          fixIt: "use the per-profile form MCP_<PROFILE>_\(suffix)"))
        }
    }

    /// Two selected profiles cannot listen on the same address; a wildcard address clashes with every other.
    private static func checkListenAddresses(_ profiles: [Profile], into diagnostics: inout [Diagnostic]) {
        var taken: [(host: String, port: Int, name: String)] = []
        var sockets: [String: String] = [:]
        for profile in profiles {
            if let unix = profile.listenUnix {
                if let clash = sockets[unix.path] {
                    diagnostics.append(Diagnostic(.error, at: profile.origins["listen_unix"] ?? .builtInDefault, keyPath: "profiles.\(profile.name).listen_unix",
                                                  "\(unix.path) is already used by profile `\(clash)`", fixIt: "give each served profile its own socket path"))
                }
                sockets[unix.path] = profile.name
                continue
            }
            let wildcard: Set<String> = ["0.0.0.0", "::"]
            if let clash = taken.first(where: { $0.port == profile.listenPort
                && ($0.host == profile.listenHost || wildcard.contains($0.host) || wildcard.contains(profile.listenHost)) }) {
                diagnostics.append(Diagnostic(.error, at: profile.origins["listen_port"] ?? .builtInDefault, keyPath: "profiles.\(profile.name).listen_port",
                                              "\(profile.listenHost):\(profile.listenPort) is already used by profile `\(clash.name)`",
                                              fixIt: "give each served profile its own listen_port"))
            }
            taken.append((profile.listenHost, profile.listenPort, profile.name))
        }
    }
}
