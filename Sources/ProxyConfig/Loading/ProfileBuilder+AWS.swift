/// The `aws:` block of `auth_scheme: aws-sigv4`. Credentials are not read here: the sources that
/// give temporary credentials are asked again and again while the profile runs, so every source
/// is asked by the profile's keeper when it starts (and `check` says what it found).
extension ProfileBuilder {
    mutating func awsSettings() -> AWSSigningSettings? {
        let errorsBefore = diagnostics.errors.count
        let region = text("aws.region", required: isSelected, check: AWSSigningSettings.isName, problem: "is not an AWS region",
                          fix: "write the region the upstream runs in, e.g. us-east-1")
        let service = text("aws.service", required: isSelected, check: AWSSigningSettings.isName, problem: "is not a signing name",
                           fix: "write the service's signing name, e.g. execute-api, lambda or bedrock-agentcore")
        let credentials = awsCredentialSource()
        guard diagnostics.errors.count == errorsBefore, let region, let service, let credentials else { return nil }
        var settings = AWSSigningSettings(region: region, service: service)
        settings.credentials = credentials
        return settings
    }

    private mutating func awsCredentialSource() -> AWSSigningSettings.CredentialSource? {
        let command = written("aws.credentials_command")
        let fix = "write env, profile:NAME, command, container or web_identity"
        var source = AWSSigningSettings.CredentialSource.environment
        if let value = scalar("aws.credentials") {
            switch value.text {
            case "env": source = .environment
            case "container": source = .container
            case "web_identity": source = .webIdentity
            case "command": source = .command([])
            case let text where text.hasPrefix("profile:") && text.count > "profile:".count:
                let name = String(text.dropFirst("profile:".count))
                guard name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "]" }) else {
                    report(value.source, "\(quoted(name)) is not a profile name of the shared AWS files", fix: "write profile:NAME as in `[profile NAME]` of ~/.aws/config")
                    return nil
                }
                source = .profile(name)
            default:
                let hint = Suggestion.closest(to: value.text, among: ["env", "profile:default", "command", "container", "web_identity"]).map { "did you mean `\($0)`? " } ?? ""
                report(value.source, "\(quoted(value.text)) is not a credential source", fix: hint + fix)
                return nil
            }
        } else {
            _ = recordDefault("aws.credentials", "env")
        }
        if case .command = source {
            guard let command else {
                missing("aws.credentials_command", fix: "add `credentials_command: [aws-vault, export, --format=json, prod]` under `aws:` (it prints the credential_process JSON)")
                return nil
            }
            origins["aws.credentials_command"] = command.origin
            guard let argv = SecretCommand.argv(command) else {
                report(command, "expected \(ConfigKey.Kind.command.expectation), found \(command.foundDescription)",
                       fix: "write `credentials_command: [aws-vault, export, --format=json, prod]` (run without a shell)")
                return nil
            }
            return .command(argv)
        }
        if let command {
            report(command, "`credentials_command` is read only with `credentials: command`", fix: "set `credentials: command`, or remove `credentials_command`")
            return nil
        }
        return source
    }
}
