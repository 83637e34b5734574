import NIOConcurrencyHelpers

/// Which of one profile's per-connection and per-request objects are still alive. Debug builds
/// only: it exists so that a test can prove that every connection and upstream
/// connection is freed once it ends, without an RSS threshold. Release builds compile each call
/// to nothing and always report zero.
///
/// Objects are watched through weak references, so watching never extends a lifetime and needs no
/// hook in `deinit`. One tally per `ProfileRuntime`, so tests running in parallel in one process
/// each see only their own listener's objects.
package final class LiveObjectTally: Sendable {
    package enum Kind: String, CaseIterable, Sendable {
        case clientHandler = "client connection handler"
        case clientChannel = "client channel"
        case upstreamHandler = "upstream connection handler"
        case upstreamChannel = "upstream channel"
    }

    /// Whether this build counts anything (debug builds).
    package static var isCounting: Bool {
        #if DEBUG
        true
        #else
        false
        #endif
    }

    #if DEBUG
    /// Sendable although the object is not: the reference is only ever tested for nil, never used
    /// to reach the object, and Swift's weak references are safe to load from any thread.
    private struct Entry: @unchecked Sendable {
        let kind: Kind
        weak var object: AnyObject?
    }

    private let entries = NIOLockedValueBox<[Entry]>([])
    #endif

    package init() {}

    /// Starts watching `object`; it counts as live until it is deallocated.
    @inline(__always)
    func watch(_ object: AnyObject, as kind: Kind) {
        #if DEBUG
        entries.withLockedValue { entries in
            // Drop dead entries now and then, so a long-running debug build does not grow the list.
            if entries.count >= 1024, entries.count.isMultiple(of: 1024) { entries.removeAll { $0.object == nil } }
            entries.append(Entry(kind: kind, object: object))
        }
        #endif
    }

    /// How many watched objects of `kind` are alive now.
    package func live(_ kind: Kind) -> Int {
        #if DEBUG
        entries.withLockedValue { entries in
            entries.removeAll { $0.object == nil }
            return entries.count { $0.kind == kind }
        }
        #else
        0
        #endif
    }
}
