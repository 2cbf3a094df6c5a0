import Foundation
import Glibc
import ServiceLifecycle
import TWMonCore
import TWMonDaemon
import TWMonSystem

/// Runs a `ControlServer` in-process on a socket in a fresh temporary directory while a test
/// body runs, then cancels it and checks it cleaned up.
struct ControlServerHarness {
    /// The wall clock the server sees: the fixture's.
    static let now: Double = 1_764_025_560

    /// A snapshot with a few ports and alerts (see `snapshot()`).
    static func snapshot(extraPorts: Int = 0) -> MonitorSnapshot {
        var ports = [
            PortStats(port: 22, ipv4: StateCounts([.listen: 1, .established: 1])),
            PortStats(port: 443, ipv6: StateCounts([.listen: 1, .timeWait: 6_000, .established: 2, .closeWait: 1])),
            PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 12_000, .established: 4])),
        ]
        for index in 0..<extraPorts {
            ports.append(PortStats(port: UInt16(20_000 + index), ipv4: StateCounts([.timeWait: 1 + index % 7, .established: 1])))
        }
        ports.sort { $0.port < $1.port }
        let limits = AlertLimits(threshold: 5_000, clearRatio: 0.8, sustain: 3)
        return MonitorSnapshot(
            table: PortTable(ports: ports), scannedAt: now - 2, scanDuration: .milliseconds(12), source: "proc", scanCount: 7,
            alerts: [
                Alert(subject: .port(443), count: 6_000, limits: limits, since: now - 600, peak: 6_100, figures: TimeWaitAlertFigures(established: 2)),
                Alert(subject: .port(8080), count: 12_000, limits: limits, since: now - 1_200, peak: 12_500, figures: TimeWaitAlertFigures(established: 4)),
            ],
            namespace: NamespaceCounters(timeWait: NamespaceTimeWait(timeWait: 18_000, maxBuckets: 262_144)),
            history: [AlertEventRecord(event: .raised, kind: .timeWait, subject: .port(8080), count: 5_200, threshold: 5_000, at: now - 1_200)],
            configuration: Configuration(), startedAt: now - 3_600, problem: nil
        )
    }

    struct Context {
        var path: String
        var store: SnapshotStore
    }

    struct Timeout: Error {}

    /// Serves `snapshot` (nil: no scan yet) on a temporary socket (or `endpoint`) while `body`
    /// runs. The body runs off the cooperative pool (`OwnThread`): its socket calls block.
    static func run(
        snapshot: MonitorSnapshot? = ControlServerHarness.snapshot(),
        limits: ConnectionLimits = ConnectionLimits(),
        endpoint: ConnectionServer.Endpoint? = nil,
        _ body: (Context) throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("twmond.sock")
        let store = SnapshotStore()
        if let snapshot { store.publish(snapshot) }
        let readiness = ReadinessGate(requiring: [.controlSocket], notifier: SystemdNotifier())
        let server = ControlServer(
            store: store, readiness: readiness, endpoint: endpoint ?? .path(path), limits: limits,
            clock: { now }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: OwnThread()) { try await server.run() }
            do {
                try await OwnThread.run {
                    try waitUntil { readiness.isReady }
                    try body(Context(path: path, store: store))
                }
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    /// Polls `condition` every 10 ms for up to `timeout` (blocking).
    static func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Timeout() }
            usleep(10_000)
        }
    }
}
