#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Secrets come from the environment or a file, never from the config text, and are read once.
extension ProfileBuilder {
    mutating func secretValue() -> Secret? {
        if let override = fields["secret"], case .text(let text) = override.value, case .environment(let variable) = override.origin {
            origins["secret"] = override.origin
            guard !text.isEmpty else {
                report(override, "is set but empty", fix: "export the secret in \(variable) or unset it")
                return nil
            }
            return checked(Secret(bytes: Array(text.utf8), source: .environment(variable: variable)), source: override)
        }
        let fromEnv = fields["secret_env"]
        let fromFile = fields["secret_file"]
        if fromEnv != nil, let fromFile {
            report(fromFile, "both `secret_env` and `secret_file` are set", fix: "keep exactly one source for the secret")
            return nil
        }
        if fromEnv != nil {
            guard let variable = text("secret_env", required: false, check: { !$0.isEmpty && !$0.contains("=") && TokenRules.isVisibleASCII($0) },
                                      problem: "is not an environment variable name", fix: "write the variable's name, e.g. PROD_MCP_SECRET") else { return nil }
            origins["secret"] = fields["secret_env"]?.origin
            guard let value = environment[variable], !value.isEmpty else {
                report(fromEnv, "the environment variable \(variable) is \(environment[variable] == nil ? "not set" : "empty")",
                       fix: "export \(variable) with the secret before starting the proxy")
                return nil
            }
            return checked(Secret(bytes: Array(value.utf8), source: .environment(variable: variable)), source: fromEnv)
        }
        if fromFile != nil {
            guard let path = text("secret_file", required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write the path of the secret file") else { return nil }
            origins["secret"] = fields["secret_file"]?.origin
            guard let data = FileContents.read(path) else {
                report(fromFile, "cannot read the secret file \(quoted(path))", fix: "check that the file exists and this user may read it")
                return nil
            }
            var bytes = Array(data)
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            guard !bytes.isEmpty else {
                report(fromFile, "the secret file \(quoted(path)) is empty")
                return nil
            }
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
               let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
                report(fromFile, "the secret file \(quoted(path)) is readable by group or others (mode \(String(mode, radix: 8)))",
                       fix: "chmod 600 \(path)", severity: .warning)
            }
            return checked(Secret(bytes: bytes, source: .file(path: path)), source: fromFile)
        }
        missing("secret_env", fix: "add `secret_env: VARIABLE` (or `secret_file: PATH`) naming where the secret comes from")
        return nil
    }

    private mutating func checked(_ secret: Secret, source: FieldSource?) -> Secret {
        if secret.bytes.count < 16 {
            report(source, "the secret is only \(secret.bytes.count) bytes long", fix: "use a secret of at least 16 bytes", severity: .warning)
        }
        return secret
    }
}
