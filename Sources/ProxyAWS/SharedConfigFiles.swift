import Foundation

/// The AWS CLI's shared files: `credentials` (AWS_SHARED_CREDENTIALS_FILE, default
/// ~/.aws/credentials; sections `[NAME]`) and `config` (AWS_CONFIG_FILE, default ~/.aws/config;
/// sections `[profile NAME]`, and `[default]`). Plain `key = value` lines; `#` and `;` start a
/// comment line; indented lines (a service's nested settings) are skipped.
struct SharedConfigFiles {
    let credentialsPath: String
    let configPath: String

    init(environment: [String: String]) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"].map(Self.expandingHome(home)) ?? home + "/.aws/credentials"
        configPath = environment["AWS_CONFIG_FILE"].map(Self.expandingHome(home)) ?? home + "/.aws/config"
    }

    /// The profile's settings, the credentials file's over the config file's.
    func profile(_ name: String) throws -> [String: String] {
        let fromConfig = Self.sections(of: configPath)?[name == "default" ? "default" : "profile \(name)"]
        let fromCredentials = Self.sections(of: credentialsPath)?[name]
        guard fromConfig != nil || fromCredentials != nil else {
            throw AWSCredentialResolver.Failure("no profile \(name) in \(credentialsPath) or \(configPath)")
        }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentials in credentials }
    }

    static func sections(of path: String) -> [String: [String: String]]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { sections[current]?[key] = value }
        }
        return sections
    }

    /// `credential_process` as the CLI splits it on POSIX (shell words, no shell): whitespace
    /// separates, single quotes are literal, double quotes and backslashes escape. Nil when a quote is open.
    static func splitCommandLine(_ line: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                word.append(character)
                escaped = false
                continue
            }
            switch (quote, character) {
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case ("'", _):
                word.append(character)
            case ("\"", "\\"), (nil, "\\"):
                escaped = true
                inWord = true
            case ("\"", _):
                word.append(character)
            case (nil, "'"), (nil, "\""):
                quote = character
                inWord = true
            case (nil, let c) where c.isWhitespace:
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(word) }
        return words
    }

    private static func expandingHome(_ home: String) -> (String) -> String {
        { path in path.hasPrefix("~/") ? home + path.dropFirst() : path }
    }
}
