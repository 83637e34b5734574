import Foundation
import ProxyConfig

/// A temporary directory of config files, loaded with a controlled environment, and removed
/// again when the fixture goes away (a suite run used to leave a thousand directories in /tmp).
final class ConfigFixture {
    let directory: String

    init(_ files: [String: String] = [:]) {
        directory = NSTemporaryDirectory() + "mcp-auth-proxy-config-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files { write(name, text) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func write(_ name: String, _ text: String, mode: Int = 0o600) {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func load(_ config: String? = nil, profiles: [String] = [], environment: [String: String] = ["SECRET": "0123456789abcdef-secret"]) -> ConfigLoadResult {
        ConfigLoader.load(ConfigRequest(configPath: config.map(path) ?? directory, profileNames: profiles,
                                        environment: environment, workingDirectory: directory))
    }

    /// Loads one YAML text as `c.yaml` and returns the error headlines.
    static func errors(_ yaml: String, environment: [String: String] = ["SECRET": "0123456789abcdef-secret"], profiles: [String] = []) -> [String] {
        let fixture = ConfigFixture(["c.yaml": yaml])
        return fixture.load("c.yaml", profiles: profiles, environment: environment).diagnostics.errors.map {
            $0.headline.replacingOccurrences(of: fixture.directory + "/", with: "")
        }
    }
}

/// A minimal valid profile to edit one key at a time.
func profileYAML(_ extra: String = "", port: Int = 8931, name: String = "prod") -> String {
    """
    profiles:
      \(name):
        upstream_url: https://mcp.example.com/mcp
        key_id: prod-key-1
        secret_env: SECRET
        listen_port: \(port)
    \(extra.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
    """
}
