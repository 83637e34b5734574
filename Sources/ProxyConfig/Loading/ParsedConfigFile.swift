/// A config file after YAML parsing and root-level schema checks: its `defaults:` and `profiles:`
/// mappings, ready for the per-profile builder.
struct ParsedConfigFile {
    struct ProfileEntry {
        var name: String
        var nameMark: SourceMark
        var body: YAMLNode
    }

    var path: String
    var defaults: [String: YAMLEntry]
    var profiles: [ProfileEntry]
    /// The `admin:` block: where its key is, and its entries (empty for `admin: {}` or `admin:`).
    var admin: (mark: SourceMark, entries: [String: YAMLEntry])?
    /// The `audit:` and `otel:` blocks, likewise.
    var audit: (mark: SourceMark, entries: [String: YAMLEntry])?
    var otel: (mark: SourceMark, entries: [String: YAMLEntry])?

    /// A root-level block (`admin:`, `audit:`, `otel:`): where its key is, and its entries; a
    /// diagnostic when it is not a mapping (`admin:` alone, YAML null, means the defaults).
    private static func block(_ name: String, of root: [String: YAMLEntry], allowed: [String], nullIsEmpty: Bool = false, expecting: String,
                              fix: String, path: String, into diagnostics: inout [Diagnostic]) -> (mark: SourceMark, entries: [String: YAMLEntry])? {
        guard let entry = root[name] else { return nil }
        if case .mapping = entry.value.content {
            return (entry.key.mark, MappingReader.entries(of: entry.value, keyPath: name, allowed: allowed, path: path, into: &diagnostics))
        }
        if nullIsEmpty, entry.value.isNull { return (entry.key.mark, [:]) }
        diagnostics.append(Diagnostic(.error, at: .file(path: path, mark: entry.value.mark), keyPath: name,
                                      "expected a mapping with \(expecting), found \(entry.value.kindDescription)", fixIt: fix))
        return nil
    }

    /// Reads the root mapping; every problem found goes to `diagnostics`, and whatever can still be
    /// used is returned so that later checks report their problems too.
    static func read(path: String, text: String, into diagnostics: inout [Diagnostic]) -> ParsedConfigFile? {
        func at(_ mark: SourceMark) -> ConfigOrigin { .file(path: path, mark: mark) }
        let root: YAMLNode?
        do {
            root = try YAMLParser().parse(text)
        } catch {
            diagnostics.append(Diagnostic(.error, at: at(error.mark), error.message, fixIt: error.fixIt))
            return nil
        }
        guard let root, case .mapping = root.content else {
            let mark = root?.mark ?? SourceMark(line: 1, column: 1)
            let found = root.map { $0.kindDescription } ?? "an empty file"
            diagnostics.append(Diagnostic(.error, at: at(mark), "the document must be a mapping with a `profiles:` key, found \(found)",
                                          fixIt: "start the file with `profiles:` followed by named profiles"))
            return nil
        }
        let rootEntries = MappingReader.entries(of: root, keyPath: nil, allowed: SchemaKeys.root, path: path, into: &diagnostics)
        var file = ParsedConfigFile(path: path, defaults: [:], profiles: [])
        file.admin = block("admin", of: rootEntries, allowed: SchemaKeys.admin, nullIsEmpty: true, expecting: "listen_host and listen_port",
                           fix: "write `admin:` with `listen_port: 9464` indented under it", path: path, into: &diagnostics)
        file.otel = block("otel", of: rootEntries, allowed: SchemaKeys.otel, expecting: "endpoint, headers, sampling_ratio and service_name",
                          fix: "write `otel:` with `endpoint: http://127.0.0.1:4318/v1/traces` indented under it", path: path, into: &diagnostics)
        file.audit = block("audit", of: rootEntries, allowed: SchemaKeys.audit, expecting: "path, arguments and redact",
                           fix: "write `audit:` with `path: /var/log/mcp-auth-proxy/audit.jsonl` indented under it", path: path, into: &diagnostics)

        if let version = rootEntries["version"]?.value, version.scalar != "1" {
            let found = version.scalar.map { "\"\($0)\"" } ?? version.kindDescription
            diagnostics.append(Diagnostic(.error, at: at(version.mark), keyPath: "version", "unsupported schema version \(found)",
                                          fixIt: "write `version: 1` or leave the key out"))
        }
        if let defaults = rootEntries["defaults"]?.value {
            if case .mapping = defaults.content {
                file.defaults = MappingReader.entries(of: defaults, keyPath: "defaults", allowed: SchemaKeys.defaults, path: path, into: &diagnostics)
            } else if !defaults.isNull {
                diagnostics.append(Diagnostic(.error, at: at(defaults.mark), keyPath: "defaults",
                                              "expected a mapping of profile keys, found \(defaults.kindDescription)"))
            }
        }
        guard let profilesEntry = rootEntries["profiles"] else {
            diagnostics.append(Diagnostic(.error, at: at(root.mark), "no `profiles:` key in this file",
                                          fixIt: "add `profiles:` with at least one named profile"))
            return file
        }
        let profiles = profilesEntry.value
        guard case .mapping(let entries) = profiles.content else {
            diagnostics.append(Diagnostic(.error, at: at(profiles.mark), keyPath: "profiles",
                                          "expected a mapping of profile names to profiles, found \(profiles.kindDescription)",
                                          fixIt: "write each profile as `name:` indented under `profiles:`"))
            return file
        }
        var seen: [String: SourceMark] = [:]
        for entry in entries {
            guard let name = entry.key.scalar else {
                diagnostics.append(Diagnostic(.error, at: at(entry.key.mark), keyPath: "profiles", "a profile name must be a plain string"))
                continue
            }
            if let first = seen[name], !entry.isMerged {
                diagnostics.append(Diagnostic(.error, at: at(entry.key.mark), keyPath: "profiles.\(name)",
                                              "duplicate profile name; first defined at line \(first.line)",
                                              fixIt: "rename or remove one of the two"))
                continue
            }
            seen[name] = entry.key.mark
            guard SchemaKeys.isValidProfileName(name) else {
                diagnostics.append(Diagnostic(.error, at: at(entry.key.mark), keyPath: "profiles.\(name)",
                                              "\"\(name)\" is not a valid profile name",
                                              fixIt: "use 1-63 characters of a-z, 0-9, `_` and `-`, starting with a letter or digit"))
                continue
            }
            guard case .mapping = entry.value.content else {
                diagnostics.append(Diagnostic(.error, at: at(entry.value.mark), keyPath: "profiles.\(name)",
                                              "expected a mapping of profile keys, found \(entry.value.kindDescription)",
                                              fixIt: "indent `upstream_url:`, `key_id:` and the other keys under `\(name):`"))
                continue
            }
            file.profiles.append(ProfileEntry(name: name, nameMark: entry.key.mark, body: entry.value))
        }
        return file
    }
}

/// Turns a mapping node into a dictionary while reporting unknown keys, non-string keys and duplicates.
enum MappingReader {
    static func entries(
        of node: YAMLNode, keyPath: String?, allowed: [String], path: String, into diagnostics: inout [Diagnostic]
    ) -> [String: YAMLEntry] {
        guard case .mapping(let entries) = node.content else { return [:] }
        var result: [String: YAMLEntry] = [:]
        let allowedSet = Set(allowed)
        for entry in entries {
            let origin = ConfigOrigin.file(path: path, mark: entry.key.mark)
            guard let key = entry.key.scalar else {
                diagnostics.append(Diagnostic(.error, at: origin, keyPath: keyPath, "keys must be plain strings, found \(entry.key.kindDescription)"))
                continue
            }
            let fullPath = keyPath.map { "\($0).\(key)" } ?? key
            if let first = result[key], !entry.isMerged, !first.isMerged {
                diagnostics.append(Diagnostic(.error, at: origin, keyPath: fullPath,
                                              "duplicate key; first set at line \(first.key.mark.line)",
                                              fixIt: "keep one of the two"))
                continue
            }
            guard allowedSet.contains(key) else {
                diagnostics.append(unknownKey(key, fullPath: fullPath, origin: origin, allowed: allowed, keyPath: keyPath))
                continue
            }
            if result[key] == nil || !entry.isMerged { result[key] = entry }
        }
        return result
    }

    private static func unknownKey(_ key: String, fullPath: String, origin: ConfigOrigin, allowed: [String], keyPath: String?) -> Diagnostic {
        if SchemaKeys.inlineSecretKeys.contains(key.lowercased()) {
            return Diagnostic(.error, at: origin, keyPath: fullPath, "secrets cannot be written in a config file",
                              fixIt: "use `secret_env: VARIABLE` or `secret_file: /path/to/file` instead")
        }
        if key == "upstream_url", keyPath == "defaults" {
            return Diagnostic(.error, at: origin, keyPath: fullPath, "`upstream_url` cannot be a default",
                              fixIt: "set `upstream_url` in each profile")
        }
        let fix = Suggestion.closest(to: key, among: allowed).map { "did you mean `\($0)`?" }
            ?? "known keys here: \(allowed.joined(separator: ", "))"
        return Diagnostic(.error, at: origin, keyPath: fullPath, "unknown key `\(key)`", fixIt: fix)
    }
}
