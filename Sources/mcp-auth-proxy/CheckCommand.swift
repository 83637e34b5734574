import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProxyConfig
import ProxyAWS
import ProxyOAuth
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `check`: validate once, print every problem, or explain the effective settings.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config and explain each profile's effective settings (secrets redacted)."
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    func run() throws {
        let request = ConfigRequest(configPath: options.config, profileNames: options.profile,
                                    environment: ProcessInfo.processInfo.environment)
        let result = ConfigLoader.load(request)
        for diagnostic in result.diagnostics {
            StandardError.write(diagnostic.description + "\n")
        }
        if json {
            print(CheckReport(result).jsonText)
        } else if let config = result.config {
            print(CheckReport.text(for: config))
        }
        guard result.config != nil else {
            StandardError.write("\(result.diagnostics.errors.count) error(s); no profile was started.\n")
            throw ExitCode.invalidConfiguration
        }
    }
}

/// The JSON shape of `check --json`.
struct CheckReport: Encodable {
    struct ProfileReport: Encodable {
        var name: String
        var settings: [EffectiveSetting]
    }

    struct Problem: Encodable {
        var severity: String
        var location: String?
        var key: String?
        var message: String
        var fix: String?
    }

    struct AdminReport: Encodable {
        var listen_host: String
        var listen_port: Int
        var allow_remote: Bool
        var endpoints = ["/healthz", "/readyz", "/metrics"]
    }

    var valid: Bool
    var files: [String]
    var profiles: [ProfileReport]
    /// Null when no admin listener is configured.
    var admin: AdminReport?
    var errors: [Problem]
    var warnings: [Problem]

    init(_ result: ConfigLoadResult) {
        valid = result.config != nil
        files = result.config?.files ?? []
        profiles = (result.config?.profiles ?? []).map { ProfileReport(name: $0.name, settings: $0.checkedSettings) }
        admin = result.config?.admin.map { AdminReport(listen_host: $0.listenHost, listen_port: $0.listenPort, allow_remote: $0.allowRemote) }
        let problems = result.diagnostics.map {
            Problem(severity: $0.severity.rawValue, location: $0.origin.messagePrefix, key: $0.keyPath, message: $0.message, fix: $0.fixIt)
        }
        errors = problems.filter { $0.severity == "error" }
        warnings = problems.filter { $0.severity == "warning" }
    }

    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func text(for config: ValidatedConfig) -> String {
        var lines: [String] = []
        lines.append(config.files.isEmpty ? "config: environment only" : "config: " + config.files.joined(separator: ", "))
        for profile in config.profiles {
            lines.append("")
            let scheme = profile.listenerTLS == nil ? "http" : "https"
            lines.append("profile \(profile.name): \(scheme)://\(profile.listenDescription)\(profile.mcpPath) -> \(profile.upstream)")
            let settings = profile.checkedSettings
            let keyWidth = settings.map(\.key.count).max() ?? 0
            let valueWidth = min(48, settings.map(\.value.count).max() ?? 0)
            for setting in settings {
                let key = setting.key + String(repeating: " ", count: max(0, keyWidth - setting.key.count))
                let value = setting.value + String(repeating: " ", count: max(0, valueWidth - setting.value.count))
                lines.append("  \(key)  \(value)  \(setting.origin)")
            }
        }
        lines.append("")
        if let admin = config.admin {
            let host = admin.listenHost.contains(":") ? "[\(admin.listenHost)]" : admin.listenHost
            let origin = admin.origins["listen_port"].map { " (port from \($0))" } ?? ""
            lines.append("admin: http://\(host):\(admin.listenPort) serves /healthz /readyz /metrics\(origin)")
        } else {
            lines.append("admin: off (add an `admin:` block for /healthz, /readyz and /metrics)")
        }
        if let audit = config.audit {
            let redact = audit.redact.isEmpty ? "" : ", redacting [\(audit.redact.joined(separator: ", "))]"
            lines.append("audit: \(audit.destination), arguments \(audit.arguments.rawValue)\(redact)")
        } else {
            lines.append("audit: off (add an `audit:` block for a line per tool call and refusal)")
        }
        if let otel = config.otel {
            let headers = otel.headers.map { "\($0.name) from \($0.value.source)" }
            lines.append("otel: traces to \(otel.endpoint) as \(otel.serviceName), sampling \(otel.samplingRatio)"
                         + (headers.isEmpty ? "" : ", headers: \(headers.joined(separator: ", ")) (values hidden)"))
        } else {
            lines.append("otel: off (add an `otel:` block to export traces)")
        }
        lines.append("ok: \(config.profiles.count) profile(s) valid" + (config.warnings.isEmpty ? "" : ", \(config.warnings.count) warning(s)"))
        return lines.joined(separator: "\n")
    }
}

enum StandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

extension Profile {
    /// The effective settings plus, for an OAuth profile, the stored token's state (valid until …,
    /// refreshable, login needed) — never the token.
    var checkedSettings: [EffectiveSetting] {
        var settings = effectiveSettings
        if let oauth, oauth.grant == .tokenExchange {
            settings.append(EffectiveSetting(key: "oauth.token", value: "per client: each client's own token is exchanged (RFC 8693), none is stored",
                                             origin: settings.first { $0.key == "oauth.grant" }?.origin ?? "default"))
        } else if let oauth {
            let stored = OAuthSession.stored(profile: self, settings: oauth)
            settings.append(EffectiveSetting(key: "oauth.token", value: stored.state.description, origin: oauth.tokenFile))
            if let origin = stored.origin {
                settings.append(EffectiveSetting(key: "oauth.session", value: origin, origin: oauth.tokenFile))
            }
        }
        if let aws {
            let found = AWSCredentialResolver.describe(aws, environment: ProcessInfo.processInfo.environment)
            settings.append(EffectiveSetting(key: "aws.found", value: (found.found ? "" : "NOT FOUND: ") + found.text,
                                             origin: settings.first { $0.key == "aws.credentials" }?.origin ?? "default"))
        }
        return settings
    }
}
