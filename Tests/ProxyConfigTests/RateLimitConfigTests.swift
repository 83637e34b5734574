import ProxyConfig
import Testing

@Suite("rate_limit: config")
struct RateLimitConfigTests {
    @Test("per_client and per_profile with their defaults, shown by check, from defaults: too")
    func parsed() throws {
        let yaml = profileYAML("rate_limit:\n  per_client: {requests: 600, per: 1m, burst: 60}\n  per_profile:\n    requests: 5000\n    per: 1m")
        let profile = try #require(ConfigFixture(["c.yaml": yaml]).load("c.yaml").config?.profiles.first)
        let limits = try #require(profile.rateLimit)
        #expect(limits.perClient == RateLimitSettings.Rate(requests: 600, per: .seconds(60), burst: 60))
        #expect(limits.perProfile?.burst == 5000, "burst defaults to a full period's requests")
        #expect(limits.perClient?.nanosecondsPerRequest == 100_000_000)
        #expect(!limits.toolsCallOnly)
        let shown = profile.effectiveSettings.map { "\($0.key)=\($0.value)" }
        #expect(shown.contains("rate_limit.per_client=600 per 1m (burst 60)") && shown.contains("rate_limit.tools_call_only=false"), "\(shown)")

        let fromDefaults = "defaults:\n  rate_limit:\n    per_client: {requests: 10, per: 1s}\n    tools_call_only: true\n" + profileYAML()
        let inherited = try #require(ConfigFixture(["c.yaml": fromDefaults]).load("c.yaml").config?.profiles.first?.rateLimit)
        #expect(inherited.perClient?.requests == 10 && inherited.toolsCallOnly)
    }

    @Test("mistakes name the key and the fix", arguments: [
        ("rate_limit:\n  per_client: 600", "expected a mapping with requests, per and burst"),
        ("rate_limit:\n  per_client: {requests: 600}", "`rate_limit.per_client` needs `requests` and `per`"),
        ("rate_limit:\n  per_client: {requests: 0, per: 1m}", "\"0\" is not a whole number from 1 to 999999999"),
        ("rate_limit:\n  per_client: {requests: 10, per: 1 minute}", "\"1 minute\" is not a duration"),
        ("rate_limit:\n  per_client: {requests: 10, per: 1m, bust: 5}", "unknown key \"bust\" under `rate_limit.per_client`"),
        ("rate_limit:\n  tools_call_only: true", "`rate_limit` sets no limit"),
        ("rate_limit:\n  per_clients: {requests: 1, per: 1s}", "per_clients"),
    ])
    func mistakes(_ extra: String, _ expected: String) {
        let errors = ConfigFixture.errors(profileYAML(extra))
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }
}
