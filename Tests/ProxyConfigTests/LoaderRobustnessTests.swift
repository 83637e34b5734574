import Foundation
import ProxyTestSupport
import Testing
@testable import ProxyConfig

/// No input, however broken, may crash or hang the loader.
@Suite("loader robustness")
struct LoaderRobustnessTests {
    static let alphabet = Array(" \n\t:-[]{},&*!|>'\"#%@`?<=~0123456789abcxyz_/.\\\u{0}\u{7F}é".unicodeScalars)

    @Test("thousands of random and mutated documents never crash or hang the loader")
    func fuzz() {
        var rng = SeededRandom(seed: 42)
        let seed = Array(profileYAML("signing: {algorithm: hmac-sha256}\nallowed_origins: [\"https://a.example\"]\nbase: &b {x: 1}").unicodeScalars)
        let fixture = ConfigFixture()
        var rejected = 0
        for round in 0..<3000 {
            var scalars: [Unicode.Scalar]
            if round % 3 == 0 {
                scalars = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in Self.alphabet.randomElement(using: &rng)! }
            } else {
                scalars = seed
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let position = Int.random(in: 0...scalars.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0 where position < scalars.count: scalars.remove(at: position)
                    case 1: scalars.insert(Self.alphabet.randomElement(using: &rng)!, at: position)
                    default:
                        let start = Int.random(in: 0..<scalars.count, using: &rng)
                        let chunk = scalars[start..<min(scalars.count, start + Int.random(in: 1...20, using: &rng))]
                        scalars.insert(contentsOf: chunk, at: position)
                    }
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            fixture.write("c.yaml", text)
            let result = fixture.load("c.yaml")
            if result.config == nil {
                rejected += 1
                #expect(!result.diagnostics.errors.isEmpty, "a rejected document must say why")
            }
        }
        #expect(rejected > 1500)
    }
}
