import Foundation
import ProxyOAuth
import ProxySigning

/// Web identity federation (EKS IRSA, GitHub Actions OIDC, …): the token file's JWT exchanged
/// for temporary credentials with STS AssumeRoleWithWebIdentity, an unsigned call. The endpoint
/// is AWS_ENDPOINT_URL_STS (or AWS_ENDPOINT_URL) when set, as in the AWS SDKs, else the
/// regional `https://sts.REGION.amazonaws.com/`. The token file is read at every call: the
/// platform rotates it.
struct WebIdentityCredentials {
    let tokenFile: String
    let roleARN: String
    let sessionName: String?
    let region: String
    let environment: [String: String]
    let http: OAuthHTTPClient

    var endpoint: URL? {
        let configured = [environment["AWS_ENDPOINT_URL_STS"], environment["AWS_ENDPOINT_URL"]].compactMap { $0 }.first { !$0.isEmpty }
        return URL(string: configured ?? "https://sts.\(region).amazonaws.com/")
    }

    func assumeRole() async throws -> AWSCredentials {
        guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw AWSCredentialResolver.Failure("cannot read the web identity token file \(tokenFile)")
        }
        guard let endpoint else { throw AWSCredentialResolver.Failure("AWS_ENDPOINT_URL_STS is not a URL") }
        let session = sessionName ?? "mcp-auth-proxy-\(Int(Date().timeIntervalSince1970))"
        let response = try await http.postForm(endpoint, [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", session), ("WebIdentityToken", token),
        ])
        let body = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200 else {
            let code = Self.element("Code", in: body) ?? "HTTP \(response.status)"
            let message = Self.element("Message", in: body).map { ": \($0)" } ?? ""
            throw AWSCredentialResolver.Failure("STS AssumeRoleWithWebIdentity for \(roleARN) at \(endpoint.absoluteString) failed: \(code)\(message)")
        }
        guard let credentials = Self.element("Credentials", in: body), let key = Self.element("AccessKeyId", in: credentials),
              let secret = Self.element("SecretAccessKey", in: credentials), let sessionToken = Self.element("SessionToken", in: credentials) else {
            throw AWSCredentialResolver.Failure("STS at \(endpoint.absoluteString) answered without Credentials")
        }
        let expiration = Self.element("Expiration", in: credentials).flatMap(AWSTime.unixSeconds)
        return AWSCredentials(accessKeyID: key, secretAccessKey: Array(secret.utf8), sessionToken: sessionToken, expiration: expiration)
    }

    /// The text of the first `<name>…</name>` in `xml`, its entities decoded. STS answers are
    /// flat and small; a full XML parser would pull in libxml2 for five fields.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
