import Foundation
import ProxyConfig

/// Profiles for tests, made the one way the program makes them: YAML text through
/// `ConfigLoader`. A test can then only build a profile that `check` would accept, with every
/// default and every cross-key rule applied exactly as for a user.
public enum LoadedConfig {
    /// A problem the loader reported, with its diagnostics as `check` prints them.
    public struct Rejected: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads `yaml` (a whole config file) with `environment` as the process environment; throws
    /// `Rejected` when the loader reports an error. Warnings are allowed.
    package static func load(_ yaml: String, environment: [String: String] = [:], profiles: [String] = []) throws -> ValidatedConfig {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loaded-config-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = ConfigLoader.load(ConfigRequest(configPath: file, profileNames: profiles, environment: environment,
                                                     workingDirectory: directory.path))
        guard let config = result.config else {
            throw Rejected(description: result.diagnostics.map(\.description).joined(separator: "\n") + "\n--- in ---\n" + yaml)
        }
        return config
    }

    /// One profile named `name` with `keys` (YAML values, flow style for lists and mappings,
    /// e.g. `("tools", "{deny: ['*delete*']}")`), secrets named by `secret_env` found in `environment`.
    package static func profile(_ name: String, _ keys: Keys, environment: [String: String]) throws -> Profile {
        try load(yaml(profiles: [(name, keys)]), environment: environment).profiles[0]
    }

    /// A profile's keys in order, as written in YAML; a later key replaces an earlier one of the
    /// same name in its place, and an empty value removes it (to drop a default such as `key_id`
    /// under another scheme).
    package typealias Keys = [(key: String, value: String)]

    /// A config file's text for `profiles`, and an `admin:` block when given.
    package static func yaml(profiles: [(name: String, keys: Keys)], admin: Keys? = nil) -> String {
        var text = "version: 1\n"
        if let admin {
            text += "admin:\n" + merged(admin).map { "  \($0.key): \($0.value)\n" }.joined()
        }
        text += "profiles:\n"
        for profile in profiles {
            text += "  \(profile.name):\n" + merged(profile.keys).map { "    \($0.key): \($0.value)\n" }.joined()
        }
        return text
    }

    private static func merged(_ keys: Keys) -> Keys {
        var order: [String] = []
        var values: [String: String] = [:]
        for (key, value) in keys {
            if values[key] == nil { order.append(key) }
            values[key] = value
        }
        return order.compactMap { key in values[key].flatMap { $0.isEmpty ? nil : (key, $0) } }
    }
}
