import NIOConcurrencyHelpers

/// Finished spans waiting for the exporter: appended under a lock on the event loops (one short
/// critical section per exchange), taken in batches by the control plane. Bounded: while the
/// collector is slow or gone, spans past `capacity` are dropped and counted, never queued without
/// end.
package final class SpanSink: Sendable {
    private struct State {
        var spans: [SpanRecord] = []
        var dropped = 0
    }

    package let capacity: Int
    private let state = NIOLockedValueBox(State())

    package init(capacity: Int = 8192) {
        self.capacity = capacity
    }

    package func add(_ span: SpanRecord) {
        state.withLockedValue { state in
            guard state.spans.count < capacity else {
                state.dropped += 1
                return
            }
            state.spans.append(span)
        }
    }

    /// Everything waiting, and the count dropped since the last call.
    package func take() -> (spans: [SpanRecord], dropped: Int) {
        state.withLockedValue { state in
            defer {
                state.spans = []
                state.dropped = 0
            }
            return (state.spans, state.dropped)
        }
    }

    package var waiting: Int { state.withLockedValue { $0.spans.count } }
}

/// What the data plane needs to trace: the sampling ratio and where finished spans go. Nil in a
/// runtime without `otel:`, so the request path pays one branch.
package final class Tracer: Sendable {
    package let samplingRatio: Double
    package let spans: SpanSink
    /// `samplingRatio` as a threshold on a random `UInt64`.
    private let threshold: UInt64

    package init(samplingRatio: Double, spans: SpanSink = SpanSink()) {
        self.samplingRatio = samplingRatio
        self.spans = spans
        threshold = samplingRatio >= 1 ? .max : UInt64(max(0, samplingRatio) * Double(UInt64.max))
    }

    /// A new trace is sampled when `random` falls under the ratio. A continued trace follows its
    /// caller's decision (the parent-based sampler's default), so a trace is never half recorded.
    package func samples(_ parent: TraceParent?, random: UInt64) -> Bool {
        if let parent { return parent.sampled }
        return samplingRatio >= 1 || random < threshold
    }
}
