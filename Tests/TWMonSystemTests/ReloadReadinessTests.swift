import Logging
import Synchronization
import Testing
import TWMonCore
import TWMonDaemon
import TWMonSystem

/// READY=1 comes only from `ReadinessGate`: a SIGHUP (reload) during start-up, before the control
/// socket listens, sends RELOADING=1 but not READY=1; READY=1 follows once the socket listens,
/// and a reload after that ends with READY=1 again.
@Suite struct ReloadReadinessTests {
    /// A source with no sockets.
    final class EmptySource: SocketTableSource {
        let name = "empty"
        func collect(into builder: inout PortTableBuilder) throws(ScanError) {}
    }

    struct DiscardingJournal: JournalSink {
        func send(_ entry: JournalEntry) {}
    }

    @Test func reloadBeforeTheControlSocketListensDoesNotAnnounceReadiness() async throws {
        let sent = Mutex<[String]>([])
        let notifier = SystemdNotifier(delivering: { message in
            sent.withLock { $0.append(message) }
            return true
        })
        let readiness = ReadinessGate(requiring: [.firstScan, .controlSocket], notifier: notifier)
        let engine = try MonitorEngine(
            configuration: .ownNamespaceOnly, source: ConfigurationSource(path: "/nonexistent/twmond.toml", required: false, namespaces: .own),
            journal: DiscardingJournal(), notifier: notifier, store: SnapshotStore(), readiness: readiness,
            logger: Logger(label: "test"), makeScanner: { _, _ in Scanner(source: EmptySource()) }
        )

        await engine.reload()
        let duringStartUp = sent.withLock { $0 }
        let reloading = try #require(duringStartUp.first { $0.contains("RELOADING=1") }, "\(duringStartUp)")
        #expect(reloading.split(separator: "\n").contains { $0.hasPrefix("MONOTONIC_USEC=") })
        #expect(!duringStartUp.contains { $0.contains("READY=1") }, "\(duringStartUp)")
        #expect(!readiness.isReady)

        readiness.satisfy(.controlSocket)
        let ready = sent.withLock { $0 }.dropFirst(duringStartUp.count)
        #expect(ready.count { $0.contains("READY=1") } == 1, "\(ready)")

        sent.withLock { $0.removeAll() }
        await engine.reload()
        let afterStart = sent.withLock { $0 }
        let reloadingAt = try #require(afterStart.firstIndex { $0.contains("RELOADING=1") }, "\(afterStart)")
        let readyAt = try #require(afterStart.firstIndex { $0.split(separator: "\n").contains("READY=1") }, "\(afterStart)")
        #expect(reloadingAt < readyAt)
        #expect(afterStart.count { $0.contains("READY=1") } == 1, "\(afterStart)")
    }
}
