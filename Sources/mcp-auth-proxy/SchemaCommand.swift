import ArgumentParser
import ProxyConfig

/// `schema`: print the JSON Schema of the config file, generated from the loader's own key tables,
/// for YAML editors (`# yaml-language-server: $schema=…`) and for CI checks of example configs.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the config file (for editors and CI).",
        discussion: "Save it once, e.g. `mcp-auth-proxy schema > ~/.config/mcp-auth-proxy/schema.json`, and point a YAML editor at it. `check` still validates what a schema cannot: secrets, files and ports across files."
    )

    func run() {
        print(ConfigSchema.text, terminator: "")
    }
}
