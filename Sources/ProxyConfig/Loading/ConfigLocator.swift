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

/// Decides where the configuration comes from: `--config`, then `MCP_AUTH_PROXY_CONFIG`, then
/// `./profiles`, then environment-only mode when `MCP_UPSTREAM_URL` is set.
enum ConfigLocator {
    enum Location {
        case files([String])
        case environmentOnly
        case none
    }

    static func locate(_ request: ConfigRequest, into diagnostics: inout [Diagnostic]) -> Location {
        let chosen: (path: String, origin: ConfigOrigin)?
        if let path = request.configPath {
            chosen = (path, .commandLine(option: "--config"))
        } else if let path = request.environment["MCP_AUTH_PROXY_CONFIG"], !path.isEmpty {
            chosen = (path, .environment(variable: "MCP_AUTH_PROXY_CONFIG"))
        } else if isDirectory(resolve("profiles", in: request.workingDirectory)) == true {
            chosen = ("profiles", .builtInDefault)
        } else {
            chosen = nil
        }
        guard let chosen else {
            if request.environment["MCP_UPSTREAM_URL"] != nil { return .environmentOnly }
            diagnostics.append(Diagnostic(.error, at: .commandLine(option: "--config"), "no configuration found",
                                          fixIt: "pass --config PATH, set MCP_AUTH_PROXY_CONFIG, create ./profiles/, or set MCP_UPSTREAM_URL"))
            return .none
        }
        let absolute = resolve(chosen.path, in: request.workingDirectory)
        guard let isDirectory = isDirectory(absolute) else {
            diagnostics.append(Diagnostic(.error, at: chosen.origin, "\"\(chosen.path)\" does not exist",
                                          fixIt: "point it at a YAML file or a directory of YAML files"))
            return .none
        }
        guard isDirectory else { return .files([display(chosen.path, absolute: absolute, request)]) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: absolute)) ?? [])
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
            .sorted()
        guard !names.isEmpty else {
            diagnostics.append(Diagnostic(.error, at: chosen.origin, "the directory \"\(chosen.path)\" holds no *.yaml or *.yml file",
                                          fixIt: "add a profile file, e.g. a copy of profiles/example.yaml"))
            return .none
        }
        let base = chosen.path.hasSuffix("/") ? String(chosen.path.dropLast()) : chosen.path
        return .files(names.map { display(base + "/" + $0, absolute: absolute + "/" + $0, request) })
    }

    /// Paths are shown as the user wrote them; relative ones are read relative to the working directory.
    private static func display(_ path: String, absolute: String, _ request: ConfigRequest) -> String {
        request.workingDirectory == FileManager.default.currentDirectoryPath ? path : absolute
    }

    static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    /// Whether `path` names a directory; nil when nothing is there.
    private static func isDirectory(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT == S_IFDIR
    }
}
