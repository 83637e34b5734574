import Dispatch
import Foundation
import ProxyConfig
import ProxySigning

/// `credential_process` and `credentials_command`: a program that prints
/// `{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …, "SessionToken": …, "Expiration": …}`.
/// Run without a shell, stdin closed, with the proxy's environment (aws-vault, granted and SSO
/// helpers read their own settings from it, as under the AWS CLI), killed after 60 s. Its
/// stderr may be quoted in the problem (`SecretCommand.Failure.problem`); its stdout never is.
enum CredentialProcess {
    static let timeoutMilliseconds = 60_000

    static func run(_ argv: [String], environment: [String: String]) async throws -> AWSCredentials {
        let program = argv.first ?? ""
        // The runner blocks (poll) while the program runs: off the concurrency pool's threads.
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: SecretCommand.run(argv, environment: environment, timeoutMilliseconds: timeoutMilliseconds))
            }
        }
        switch result {
        case .success(let output):
            return try parse(output, program: program)
        case .failure(let failure):
            throw AWSCredentialResolver.Failure(failure.problem(program: program, timeout: "60s"))
        }
    }

    static func parse(_ output: [UInt8], program: String) throws -> AWSCredentials {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(output))) as? [String: Any] else {
            throw AWSCredentialResolver.Failure("\(program) did not print a JSON object (the credential_process format)")
        }
        guard (object["Version"] as? NSNumber)?.intValue == 1 else {
            throw AWSCredentialResolver.Failure("\(program) printed no \"Version\": 1 (the credential_process format)")
        }
        guard let key = object["AccessKeyId"] as? String, !key.isEmpty, let secret = object["SecretAccessKey"] as? String, !secret.isEmpty else {
            throw AWSCredentialResolver.Failure("\(program) printed no AccessKeyId and SecretAccessKey")
        }
        var expiration: Int64?
        if let text = object["Expiration"] as? String {
            guard let seconds = AWSTime.unixSeconds(text) else { throw AWSCredentialResolver.Failure("\(program) printed an Expiration that is not ISO 8601") }
            expiration = seconds
        }
        let token = (object["SessionToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Array(secret.utf8), sessionToken: token, expiration: expiration)
    }
}
