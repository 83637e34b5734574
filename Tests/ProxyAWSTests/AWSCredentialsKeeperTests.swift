import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import ProxyConfig
import ProxyLogging
import ProxySigning
import ProxyTestSupport
import Testing
@testable import ProxyAWS

/// When the keeper asks its source again, and what it keeps when asking fails.
@Suite("AWS credentials keeper")
struct AWSCredentialsKeeperTests {
    static let log = LogSink(minimumLevel: .error, fileDescriptor: open("/dev/null", O_WRONLY))

    @Test("5 minutes before expiry, halfway when less than 10 are left, every 5 minutes for long-term keys")
    func delays() {
        #expect(AWSCredentialsKeeper.delay(until: 1_000 + 3600, now: 1_000) == 3300)
        #expect(AWSCredentialsKeeper.delay(until: 1_000 + 480, now: 1_000) == 240)
        #expect(AWSCredentialsKeeper.delay(until: 1_001, now: 1_000) == 1)
        #expect(AWSCredentialsKeeper.delay(until: nil, now: 1_000) == 300)
    }

    @Test("renewed credentials replace the slot's; a failed renewal keeps valid ones and drops expired ones")
    func keeps() async throws {
        let answer = AtomicAnswer()
        let endpoint = try await ScriptedHTTPServer { _ in answer.current }
        defer { Task { await endpoint.stop() } }
        let settings = AWSSigningSettings(region: "us-east-1", service: "lambda", credentials: .container)
        let keeper = AWSCredentialsKeeper(profile: "p", settings: settings,
                                          environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(endpoint.port)/"],
                                          caFile: nil, group: MultiThreadedEventLoopGroup.singleton, log: Self.log)
        let problems = ProblemLog()
        await keeper.observe { problems.append($0) }
        let now = Int64(Date().timeIntervalSince1970)

        answer.set(key: "ASIAONE", expiration: now + 3600)
        #expect(await keeper.renew() == 3300)
        #expect(keeper.slot.credentials?.accessKeyID == "ASIAONE")

        answer.fail()
        #expect(await keeper.renew() == 10)
        #expect(keeper.slot.credentials?.accessKeyID == "ASIAONE", "still valid: kept")
        #expect(keeper.slot.problem == nil)

        answer.set(key: "ASIATWO", expiration: now + 400)
        #expect(await keeper.renew() == 200)
        #expect(keeper.slot.credentials?.accessKeyID == "ASIATWO")

        answer.set(key: "ASIAOLD", expiration: now - 1)
        #expect(await keeper.renew() == 10)
        #expect(keeper.slot.credentials?.accessKeyID == "ASIATWO", "expired answers are refused")

        await keeper.stop()
        let expired = AWSCredentialsKeeper(profile: "p", settings: settings, environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(endpoint.port)/"],
                                           caFile: nil, group: MultiThreadedEventLoopGroup.singleton, log: Self.log)
        answer.fail()
        #expect(await expired.renew() == 10)
        #expect(expired.slot.credentials == nil)
        #expect(expired.slot.problem?.hasPrefix("no AWS credentials from container: the container credential endpoint") == true)
        #expect(problems.values == [nil], "observed: credentials from the start, and kept while the renewal failed")
    }
}

/// What the scripted endpoint answers now.
final class AtomicAnswer: Sendable {
    private let answer = NIOLockedValueBox(ScriptedHTTPServer.Answer(status: 500, body: "{}"))
    var current: ScriptedHTTPServer.Answer { answer.withLockedValue { $0 } }

    func set(key: String, expiration: Int64) {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(expiration)))
        answer.withLockedValue { $0 = .init(body: #"{"AccessKeyId":"\#(key)","SecretAccessKey":"s","Token":"t","Expiration":"\#(time)"}"#) }
    }

    func fail() { answer.withLockedValue { $0 = .init(status: 500, body: "{}") } }
}

final class ProblemLog: Sendable {
    private let box = NIOLockedValueBox<[String?]>([])
    var values: [String?] { box.withLockedValue { $0 } }
    func append(_ value: String?) { box.withLockedValue { $0.append(value) } }
}
