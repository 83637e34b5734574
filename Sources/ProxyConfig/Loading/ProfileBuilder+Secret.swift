#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Secrets come from the environment or a file, never from the config text, and are read once.
extension ProfileBuilder {
    /// The keys that name one secret's sources: the profile's own, or the OAuth client secret's.
    struct SecretKeys {
        var env = "secret_env"
        var file = "secret_file"
        var command = "secret_command"
        /// The key `check` shows the secret's origin under.
        var shownAs = "secret"
        /// Whether the secret goes into a header as it is (a PEM key does not: it has line breaks).
        var isHeaderValue = true

        static let profile = SecretKeys()
        static let oauthClient = SecretKeys(env: "oauth.client_secret_env", file: "oauth.client_secret_file",
                                            command: "oauth.client_secret_command", shownAs: "oauth.client_secret")
        static let introspectionClient = SecretKeys(env: "client_oauth.introspection_client_secret_env", file: "client_oauth.introspection_client_secret_file",
                                                    command: "client_oauth.introspection_client_secret_command", shownAs: "client_oauth.introspection_client_secret")
        static let jwtKey = SecretKeys(env: "jwt.private_key_env", file: "jwt.private_key_file", command: "jwt.private_key_command",
                                       shownAs: "jwt.private_key", isHeaderValue: false)
        var all: [String] { [env, file, command] }
        /// How the key is written in messages: `client_secret_env`, not `oauth.client_secret_env`.
        func written(_ key: String) -> String { key.split(separator: ".").last.map(String.init) ?? key }
    }

    /// The secret named by `keys`; nil and a diagnostic when it cannot be read, or (with
    /// `required: false`) nil and no diagnostic when no source is written.
    mutating func secretValue(_ keys: SecretKeys = .profile, required: Bool = true) -> Secret? {
        if keys.env == SecretKeys.profile.env, let override = fields["secret"], case .text(let text) = override.value, case .environment(let variable) = override.origin {
            origins["secret"] = override.origin
            guard !text.isEmpty else {
                report(override, "is set but empty", fix: "export the secret in \(variable) or unset it")
                return nil
            }
            return checked(Secret(bytes: Array(text.utf8), source: .environment(variable: variable)), source: override)
        }
        let fromEnv = written(keys.env)
        let fromFile = written(keys.file)
        let fromCommand = written(keys.command)
        if fromEnv != nil, let fromFile {
            report(fromFile, "both `\(keys.written(keys.env))` and `\(keys.written(keys.file))` are set", fix: "keep exactly one source for the secret")
            return nil
        }
        if let fromCommand {
            guard fromEnv == nil, fromFile == nil else {
                report(fromCommand, "`\(keys.written(keys.command))` is set together with `\(keys.written(fromEnv != nil ? keys.env : keys.file))`",
                       fix: "keep exactly one of \(keys.all.map(keys.written).joined(separator: ", "))")
                return nil
            }
            return commandSecret(fromCommand, shownAs: keys.shownAs, headerValue: keys.isHeaderValue)
        }
        if fromEnv != nil {
            guard let variable = text(keys.env, required: false, check: { !$0.isEmpty && !$0.contains("=") && TokenRules.isVisibleASCII($0) },
                                      problem: "is not an environment variable name", fix: "write the variable's name, e.g. PROD_MCP_SECRET") else { return nil }
            origins[keys.shownAs] = fields[keys.env]?.origin
            guard let value = environment[variable], !value.isEmpty else {
                report(fromEnv, "the environment variable \(variable) is \(environment[variable] == nil ? "not set" : "empty")",
                       fix: "export \(variable) with the secret before starting the proxy")
                return nil
            }
            return checked(Secret(bytes: Array(value.utf8), source: .environment(variable: variable)), source: fromEnv, headerValue: keys.isHeaderValue)
        }
        if fromFile != nil {
            guard let path = text(keys.file, required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write the path of the secret file") else { return nil }
            origins[keys.shownAs] = fields[keys.file]?.origin
            guard let bytes = FileContents.readSecret(path) else {
                report(fromFile, "cannot read the secret file \(quoted(path))", fix: "check that the file exists and this user may read it")
                return nil
            }
            guard !bytes.isEmpty else {
                report(fromFile, "the secret file \(quoted(path)) is empty")
                return nil
            }
            warnIfShared(path, at: fromFile, label: "secret file")
            return checked(Secret(bytes: bytes, source: .file(path: path)), source: fromFile, headerValue: keys.isHeaderValue)
        }
        guard required else { return nil }
        missing(keys.env, fix: "add `secret_env: VARIABLE` (or `secret_file: PATH`, or `secret_command: [program, args…]`) naming where the secret comes from")
        return nil
    }

    /// Runs `secret_command` (see `SecretCommand`); every failure is a diagnostic at the key,
    /// quoting the command's stderr but never its output.
    private mutating func commandSecret(_ source: FieldSource, shownAs: String, headerValue: Bool = true) -> Secret? {
        origins[shownAs] = source.origin
        guard let argv = SecretCommand.argv(source) else {
            report(source, "expected \(ConfigKey.Kind.command.expectation), found \(source.foundDescription)",
                   fix: "write `secret_command: [\"op\", \"read\", \"op://vault/item/field\"]` (run without a shell)")
            return nil
        }
        guard let timeout = duration("secret_command_timeout", default: .seconds(10)),
              let names = environmentNames("secret_command_env") else { return nil }
        var passed: [String: String] = [:]
        for name in ["PATH", "HOME"] + names { if let value = environment[name] { passed[name] = value } }
        let program = argv[0]
        switch SecretCommand.run(argv, environment: passed, timeoutMilliseconds: Int(timeout.milliseconds)) {
        case .success(let bytes):
            return checked(Secret(bytes: bytes, source: .command(program: program)), source: source, headerValue: headerValue)
        case .failure(let failure):
            let fix: String
            switch failure {
            case .notStarted: fix = "give the program's path, or install it on the PATH the proxy sees"
            case .exited: fix = "run the command by hand as this user: it may need a login or an unlocked vault"
            case .timedOut: fix = "raise `secret_command_timeout`, or make the command non-interactive"
            case .empty: fix = "the secret is the command's stdout"
            case .tooLarge: fix = "print only the secret"
            }
            report(source, failure.problem(program: quoted(program), timeout: "\(timeout)"), fix: fix)
            return nil
        }
    }

    /// A list of environment variable names (for `secret_command_env`).
    private mutating func environmentNames(_ key: String) -> [String]? {
        guard let source = fields[key], let node = source.node, !node.isNull else { return recordDefault(key, []) }
        guard case .sequence(let items) = node.content else {
            report(source, "expected \(ConfigKey.Kind.environmentNames.expectation), found \(node.kindDescription)", fix: "write `\(key): [VAULT_ADDR, VAULT_TOKEN]`")
            return nil
        }
        let names = items.compactMap(\.scalar)
        guard names.count == items.count, names.allSatisfy({ !$0.isEmpty && !$0.contains("=") && TokenRules.isVisibleASCII($0) }) else {
            report(source, "every entry must be an environment variable name", fix: "write `\(key): [VAULT_ADDR, VAULT_TOKEN]`")
            return nil
        }
        origins[key] = source.origin
        return names
    }

    /// Files that hold a secret, a token or a private key should be readable by their owner only.
    mutating func warnIfShared(_ path: String, at source: FieldSource?, label: String) {
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            report(source, "the \(label) \(quoted(path)) is readable by group or others (mode \(String(mode, radix: 8)))",
                   fix: "chmod 600 \(path)", severity: .warning)
        }
    }

    /// A secret that would break the header line it goes into (or, as an HMAC key, is almost
    /// surely not the one meant) is an error naming its source, never its bytes.
    private mutating func checked(_ secret: Secret, source: FieldSource?, headerValue: Bool = true) -> Secret? {
        guard headerValue else { return secret }
        if let problem = HeaderFieldValue.problem(in: secret.bytes) {
            report(source, "the secret from \(secret.source) \(problem.description)", fix: problem.fix)
            return nil
        }
        if secret.bytes.count < 16 {
            report(source, "the secret is only \(secret.bytes.count) bytes long", fix: "use a secret of at least 16 bytes", severity: .warning)
        }
        return secret
    }
}
