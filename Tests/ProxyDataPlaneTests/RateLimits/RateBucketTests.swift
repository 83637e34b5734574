import Foundation
import Testing
@testable import ProxyDataPlane

/// The bucket word and the client store on their own: exact counts under contention, and memory
/// bounded with any number of clients.
@Suite("Rate limits: buckets and the client store")
struct RateBucketTests {
    @Test("four threads taking at once get exactly the burst between them, never one more")
    func contention() async {
        let bucket = RateBucket()
        let taken = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for _ in 0..<10_000 where bucket.take(now: 5_000, interval: 1_000, burst: 1_000) == nil { count += 1 }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(taken == 1_000)
    }

    @Test("the wait is the time until the next token, and giving one back makes it free again")
    func waitAndGiveBack() {
        let bucket = RateBucket()
        #expect(bucket.take(now: 0, interval: 100, burst: 2) == nil)
        #expect(bucket.take(now: 0, interval: 100, burst: 2) == nil)
        #expect(bucket.take(now: 30, interval: 100, burst: 2) == 70)
        bucket.giveBack(interval: 100)
        #expect(bucket.take(now: 30, interval: 100, burst: 2) == nil)
        #expect(!bucket.isFull(at: 199) && bucket.isFull(at: 200))
    }

    @Test("a million clients seen once each leave a bounded store; a busy client's bucket survives every sweep")
    func boundedStore() {
        let store = ClientBuckets()
        let busy = store.bucket(for: .subject("busy"), cached: nil, now: 0)
        var now: UInt64 = 1
        var largest = 0
        for client in 0..<1_000_000 {
            now += 10
            let bucket = store.bucket(for: .address("10.\(client >> 16).\((client >> 8) & 255).\(client & 255)"), cached: nil, now: now)
            _ = bucket.take(now: now, interval: 5, burst: 1)
            _ = busy.take(now: now, interval: 1_000_000_000_000, burst: 1_000_000_000)
            if client % 10_000 == 0 { largest = max(largest, store.count) }
        }
        #expect(largest < 16 * 2 * ClientBuckets.sweepFloor, "\(largest) buckets kept")
        #expect(!busy.isRetired)
        #expect(store.bucket(for: .subject("busy"), cached: nil, now: now) === busy)
    }

    @Test("an idle client's bucket is swept and retired; its holder then gets the store's new one")
    func retiredIsReplaced() {
        let store = ClientBuckets()
        let first = store.bucket(for: .address("a"), cached: nil, now: 0)
        #expect(store.bucket(for: .address("a"), cached: first, now: 0) === first)
        for client in 0..<10_000 { _ = store.bucket(for: .address("b\(client)"), cached: nil, now: 1) }
        #expect(first.isRetired)
        let second = store.bucket(for: .address("a"), cached: first, now: 1)
        #expect(second !== first && !second.isRetired)
        #expect(store.bucket(for: .address("a"), cached: nil, now: 1) === second)
    }
}
