/// `auth_scheme: aws-sigv4`: each upstream request is signed with AWS Signature Version 4 for the
/// configured region and service, with credentials found the way the AWS CLI finds them
/// (docs/signing.md). Only the loader makes one.
package struct AWSSigningSettings: Sendable, Hashable {
    /// Where the access key comes from. Static sources are read when the profile starts; the
    /// others give temporary credentials that the proxy renews before they expire.
    package enum CredentialSource: Sendable, Hashable, CustomStringConvertible {
        /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
        case environment
        /// A profile of the shared `config` and `credentials` files: static keys,
        /// `credential_process`, or `role_arn` with `web_identity_token_file`.
        case profile(String)
        /// `credentials_command`: a program printing the `credential_process` JSON.
        case command([String])
        /// The container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI), as ECS
        /// and EKS Pod Identity set it.
        case container
        /// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, through STS AssumeRoleWithWebIdentity.
        case webIdentity

        package var description: String {
            switch self {
            case .environment: return "env"
            case .profile(let name): return "profile:\(name)"
            case .command(let argv): return "command \(argv.first ?? "")"
            case .container: return "container"
            case .webIdentity: return "web_identity"
            }
        }
    }

    package internal(set) var region: String
    /// The signing name (`execute-api`, `lambda`, `bedrock-agentcore`, …).
    package internal(set) var service: String
    package internal(set) var credentials: CredentialSource

    package init(region: String, service: String, credentials: CredentialSource = .environment) {
        self.region = region
        self.service = service
        self.credentials = credentials
    }

    /// The headers the signature adds; a client's copies never go upstream.
    package static let headers = ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]

    /// Regions and signing names are lower-case letters, digits and dashes.
    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}
