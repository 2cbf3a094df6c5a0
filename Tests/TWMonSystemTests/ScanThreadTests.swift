import Glibc
import Logging
import Synchronization
import Testing
import TWMonCore
import TWMonDaemon
import TWMonSystem

/// Scans block; they must not block Swift's cooperative pool (two threads here). Four engines
/// scan at once with sources that block for 250 ms each — with scans on the pool, both pool
/// threads would be taken for a quarter of a second at a time — while a `Task.sleep` timer ticks
/// on the pool and a client asks the control socket. Neither may be delayed beyond a few ms.
@Suite("Scans run on their own thread")
struct ScanThreadTests {
    /// A source whose every scan blocks for 250 ms and notes the thread it ran on.
    final class BlockingSource: SocketTableSource, @unchecked Sendable {
        let name = "blocking"
        let threadNames = Mutex<[String]>([])

        func collect(into builder: inout PortTableBuilder) throws(ScanError) {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
            threadNames.withLock { $0.append(name.trimmingCharacters(in: .whitespacesAndNewlines)) }
            usleep(250_000)
        }
    }

    struct DiscardingJournal: JournalSink {
        func send(_ entry: JournalEntry) {}
    }

    static let engines = 4
    static let scansPerEngine = 4

    @Test("a 250 ms scan delays neither a Task.sleep timer nor a control reply")
    func blockingScansLeaveThePoolFree() async throws {
        let source = BlockingSource()
        let engines = try (0..<Self.engines).map { _ in
            try MonitorEngine(
                configuration: Configuration(), source: ConfigurationSource(path: "/nonexistent/twmond.toml", required: false),
                journal: DiscardingJournal(), notifier: SystemdNotifier(), store: SnapshotStore(),
                readiness: ReadinessGate(requiring: [.firstScan], notifier: SystemdNotifier()), logger: Logger(label: "test"),
                makeScanner: { _, _ in Scanner(source: source) }
            )
        }
        let started = ContinuousClock.now
        let scans = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for engine in engines {
                    group.addTask { for _ in 0..<Self.scansPerEngine { try await engine.scanOnce() } }
                }
                try await group.waitForAll()
            }
            return ContinuousClock.now - started
        }
        // 40 ticks of 20 ms on the cooperative pool while the scans last (about 1 s).
        let timer = Task {
            var worst = Duration.zero
            for _ in 0..<40 {
                let asked = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(20))
                worst = max(worst, ContinuousClock.now - asked - .milliseconds(20))
            }
            return worst
        }
        var replies: [Duration] = []
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            while ContinuousClock.now - started < .milliseconds(900) {
                let asked = ContinuousClock.now
                #expect(client.call(#"{"method":"io.twmon.Monitor.GetStatus"}"#))
                guard case .message = client.receive(timeout: .seconds(2)) else {
                    Issue.record("no GetStatus reply while scans ran")
                    return
                }
                replies.append(ContinuousClock.now - asked)
                usleep(20_000)
            }
        }
        let scanTime = try await scans.value
        let timerWorst = try await timer.value
        let replyWorst = replies.max() ?? .seconds(99)
        let names = Set(source.threadNames.withLock { $0 })
        print(
            "scan thread test: \(Self.engines)×\(Self.scansPerEngine) scans of 250 ms in \(scanTime); "
                + "timer late by at most \(timerWorst) over 40 ticks; \(replies.count) GetStatus replies, slowest \(replyWorst); "
                + "scans ran on \(names.sorted())"
        )
        #expect(names == ["twmon-scan"])
        #expect(source.threadNames.withLock { $0.count } == Self.engines * Self.scansPerEngine)
        // The four engines scan in parallel, one thread each: about 1 s, not 4 s.
        #expect(scanTime < .milliseconds(2_500))
        // A blocked pool would make both wait a quarter of a second; a few ms is scheduling.
        #expect(timerWorst < .milliseconds(50))
        #expect(replies.count >= 5)
        #expect(replyWorst < .milliseconds(50))
    }
}
