import Foundation
import ProxyConfig
import ProxyOAuth
import ProxySigning

/// Finds one set of AWS credentials from a profile's `aws.credentials` source, the way the AWS
/// CLI does. Each call asks the source anew (files re-read, the command run, the endpoint
/// asked); `AWSCredentialsKeeper` decides when.
package struct AWSCredentialResolver: Sendable {
    let settings: AWSSigningSettings
    /// The proxy's environment (tests pass their own).
    let environment: [String: String]
    let http: OAuthHTTPClient

    package init(settings: AWSSigningSettings, environment: [String: String], http: OAuthHTTPClient) {
        self.settings = settings
        self.environment = environment
        self.http = http
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    package func resolve() async throws -> AWSCredentials {
        switch settings.credentials {
        case .environment:
            return try fromEnvironment()
        case .profile(let name):
            return try await fromProfile(name)
        case .command(let argv):
            return try await CredentialProcess.run(argv, environment: environment)
        case .container:
            return try await ContainerCredentials(environment: environment, http: http).fetch()
        case .webIdentity:
            guard let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !tokenFile.isEmpty else {
                throw Failure("AWS_WEB_IDENTITY_TOKEN_FILE is not set (credentials: web_identity)")
            }
            guard let role = environment["AWS_ROLE_ARN"], !role.isEmpty else { throw Failure("AWS_ROLE_ARN is not set (credentials: web_identity)") }
            return try await WebIdentityCredentials(tokenFile: tokenFile, roleARN: role, sessionName: environment["AWS_ROLE_SESSION_NAME"],
                                                    region: settings.region, environment: environment, http: http).assumeRole()
        }
    }

    func fromEnvironment() throws -> AWSCredentials {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty else { throw Failure("AWS_ACCESS_KEY_ID is not set (credentials: env)") }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw Failure("AWS_SECRET_ACCESS_KEY is not set (credentials: env)")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Array(secret.utf8), sessionToken: token)
    }

    /// A profile of the shared files: static keys (the credentials file first, as the CLI reads
    /// them), else `credential_process`, else `role_arn` with `web_identity_token_file`.
    func fromProfile(_ name: String) async throws -> AWSCredentials {
        let files = SharedConfigFiles(environment: environment)
        let values = try files.profile(name)
        if let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] {
            return AWSCredentials(accessKeyID: key, secretAccessKey: Array(secret.utf8), sessionToken: values["aws_session_token"])
        }
        if let process = values["credential_process"] {
            guard let argv = SharedConfigFiles.splitCommandLine(process), !argv.isEmpty else {
                throw Failure("credential_process of profile \(name) in \(files.configPath) is not a command line")
            }
            return try await CredentialProcess.run(argv, environment: environment)
        }
        if let role = values["role_arn"], let tokenFile = values["web_identity_token_file"] {
            return try await WebIdentityCredentials(tokenFile: tokenFile, roleARN: role, sessionName: values["role_session_name"],
                                                    region: settings.region, environment: environment, http: http).assumeRole()
        }
        if values["role_arn"] != nil {
            throw Failure("profile \(name) assumes a role from another profile (source_profile), which the proxy does not do itself: "
                + "set `credential_process = aws configure export-credentials --profile \(name) --format process` in a profile of its own")
        }
        throw Failure("profile \(name) has no aws_access_key_id and aws_secret_access_key, credential_process, or role_arn with web_identity_token_file")
    }
}

/// ISO 8601 times as AWS writes them (`2026-12-07T12:00:00Z`, with or without fractional seconds).
enum AWSTime {
    static func unixSeconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }
}

extension AWSCredentialResolver {
    /// What `check` says of the source without asking it: whether the variables and files it
    /// reads are there, and which kind of credentials they hold. No program is run and nothing
    /// is fetched (so no HTTP client or event loop is needed); no secret is read into the answer.
    package static func describe(_ settings: AWSSigningSettings, environment: [String: String]) -> (found: Bool, text: String) {
        func isSet(_ name: String) -> Bool { !(environment[name] ?? "").isEmpty }
        func missing(_ names: [String]) -> [String] { names.filter { !isSet($0) } }
        switch settings.credentials {
        case .environment:
            let absent = missing(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
            guard absent.isEmpty else { return (false, "\(absent.joined(separator: " and ")) not set") }
            return (true, isSet("AWS_SESSION_TOKEN") ? "temporary keys in the environment (with AWS_SESSION_TOKEN)" : "long-term keys in the environment")
        case .profile(let name):
            let files = SharedConfigFiles(environment: environment)
            guard let values = try? files.profile(name) else { return (false, "no profile \(name) in \(files.credentialsPath) or \(files.configPath)") }
            if values["aws_access_key_id"] != nil, values["aws_secret_access_key"] != nil { return (true, "static keys of profile \(name)") }
            if let process = values["credential_process"] {
                return (true, "credential_process of profile \(name): \(SharedConfigFiles.splitCommandLine(process)?.first ?? "(not a command line)"), run at start")
            }
            if values["role_arn"] != nil, values["web_identity_token_file"] != nil { return (true, "web identity of profile \(name), through STS at start") }
            return (false, "profile \(name) has no keys, credential_process or web identity the proxy can use")
        case .command(let argv):
            return (true, "\(argv.first ?? "") prints them, run at start")
        case .container:
            guard isSet("AWS_CONTAINER_CREDENTIALS_FULL_URI") || isSet("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") else {
                return (false, "neither AWS_CONTAINER_CREDENTIALS_FULL_URI nor _RELATIVE_URI is set")
            }
            return (true, "the container endpoint, fetched at start")
        case .webIdentity:
            let absent = missing(["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"])
            guard absent.isEmpty else { return (false, "\(absent.joined(separator: " and ")) not set") }
            return (true, "web identity for \(environment["AWS_ROLE_ARN"] ?? ""), through STS at start")
        }
    }
}
