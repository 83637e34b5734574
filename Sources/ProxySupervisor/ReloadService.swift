import ServiceLifecycle
import UnixSignals

/// Turns SIGHUP (and, with `--watch`, changed config or secret files) into reloads, one at a time.
/// Triggers that arrive while a reload runs collapse into one more reload.
struct ReloadService: Service {
    let reloader: Reloader
    let watch: Bool
    /// How often `--watch` polls file identities.
    var pollInterval: Duration = .seconds(2)

    func run() async {
        let (triggers, queue) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let signals = await UnixSignalsSequence(trapping: .sighup)
        // SIGUSR1 reopens the audit file only, for logrotate setups that should not reload.
        let reopens = await UnixSignalsSequence(trapping: .sigusr1)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() { queue.yield("sighup") }
            }
            group.addTask {
                for await _ in reopens.cancelOnGracefulShutdown() { reloader.audit.reopen() }
            }
            if watch {
                group.addTask { await pollFiles(queue) }
            }
            group.addTask {
                for await trigger in triggers.cancelOnGracefulShutdown() { await reloader.reload(trigger: trigger) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// A change is acted on once two polls agree, so a burst of writes (an editor's save, a volume
    /// swap in steps) becomes one reload.
    private func pollFiles(_ queue: AsyncStream<String>.Continuation) async {
        var applied = FileIdentity.of(reloader.watched.withLockedValue { $0 })
        var previous = applied
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                return
            }
            if Task.isCancelled { return }
            let paths = reloader.watched.withLockedValue { $0 }
            let current = FileIdentity.of(paths)
            if current != applied, current == previous {
                applied = current
                queue.yield("watch")
            }
            previous = current
        }
    }
}
