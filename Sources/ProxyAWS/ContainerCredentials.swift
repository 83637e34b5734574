import Foundation
import NIOHTTP1
import ProxyConfig
import ProxyOAuth
import ProxySigning

/// The container credential endpoint, as ECS tasks and EKS Pod Identity provide it:
/// AWS_CONTAINER_CREDENTIALS_FULL_URI (or _RELATIVE_URI on 169.254.170.2), with the token from
/// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every fetch: the agent rotates it) or
/// AWS_CONTAINER_AUTHORIZATION_TOKEN. Plain http only to loopback and the link-local
/// addresses ECS and EKS use, as the AWS SDKs allow.
struct ContainerCredentials {
    let environment: [String: String]
    let http: OAuthHTTPClient

    static let linkLocalHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    func endpoint() throws -> URL {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            guard let url = URL(string: "http://169.254.170.2" + relative) else {
                throw AWSCredentialResolver.Failure("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path")
            }
            return url
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else {
            throw AWSCredentialResolver.Failure("neither AWS_CONTAINER_CREDENTIALS_FULL_URI nor _RELATIVE_URI is set (credentials: container)")
        }
        guard let url = URL(string: full), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else {
            throw AWSCredentialResolver.Failure("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
        }
        guard scheme == "https" || (scheme == "http" && (HostName.isLoopback(host) || Self.linkLocalHosts.contains(host))) else {
            throw AWSCredentialResolver.Failure("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback or the ECS/EKS link-local address")
        }
        return url
    }

    func authorization() throws -> String? {
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let token = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw AWSCredentialResolver.Failure("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            return token.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func fetch() async throws -> AWSCredentials {
        let url = try endpoint()
        var headers = [("accept", "application/json")]
        if let token = try authorization() {
            guard !token.contains("\r"), !token.contains("\n") else { throw AWSCredentialResolver.Failure("the container authorization token has a line break") }
            headers.append(("authorization", token))
        }
        let response = try await http.send(method: .GET, url: url, headers: headers, body: nil)
        guard response.status == 200 else {
            throw AWSCredentialResolver.Failure("the container credential endpoint \(url.absoluteString) answered \(response.status)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
              let key = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String, !key.isEmpty, !secret.isEmpty else {
            throw AWSCredentialResolver.Failure("the container credential endpoint \(url.absoluteString) sent no AccessKeyId and SecretAccessKey")
        }
        let expiration = (object["Expiration"] as? String).flatMap(AWSTime.unixSeconds)
        return AWSCredentials(accessKeyID: key, secretAccessKey: Array(secret.utf8), sessionToken: object["Token"] as? String, expiration: expiration)
    }
}
