import Testing
@testable import TWMonCore

@Suite("twmonctl status, ports and alerts output")
struct MonitorTextTests {
    private let now = MonitorSnapshotFixture.now

    @Test func status() {
        let snapshot = MonitorSnapshotFixture.snapshot(namespaceAlert: MonitorSnapshotFixture.namespaceAlert, problem: "reload failed")
        #expect(MonitorStatus(snapshot: snapshot, now: now).text(now: now) == """
            twmond 0.1.0, up 1 h 0 min, scanning proc every 5 s
            last scan:  2025-11-24T23:05:53Z (7 s ago), took 41.3 ms, scan #42
            sockets:    18014 (ESTABLISHED=7 TIME_WAIT=18003 CLOSE_WAIT=1 LISTEN=3)
            ports:      4 with sockets, 3 server ports, 1 malformed rows
            namespace:  18003 TIME_WAIT of net.ipv4.tcp_max_tw_buckets=262144
            alerts:     3 active
              tw_buckets       namespace  TIME_WAIT 210000 ≥ 209716, peak 210000, since 2025-11-24T22:56:40Z (9 min) of tcp_max_tw_buckets=262144
              time_wait        :443       TIME_WAIT 6000 ≥ 5000, peak 6100, since 2025-11-24T22:03:20Z (1 h 2 min), ≈ 0.0 closes/s, clears below 4000
              time_wait        :8080 (nginx.service)  TIME_WAIT 12000 ≥ 5000, peak 12500, since 2025-11-24T21:33:20Z (1 h 32 min), ≈ 100 closes/s, clears below 4000
            problem:    reload failed

            """)
    }

    @Test func alerts() {
        #expect(AlertListing(snapshot: MonitorSnapshotFixture.snapshot()).text(now: now) == """
            ACTIVE
              time_wait        :443       TIME_WAIT 6000 ≥ 5000, peak 6100, since 2025-11-24T22:03:20Z (1 h 2 min), ≈ 0.0 closes/s, clears below 4000
              time_wait        :8080 (nginx.service)  TIME_WAIT 12000 ≥ 5000, peak 12500, since 2025-11-24T21:33:20Z (1 h 32 min), ≈ 100 closes/s, clears below 4000

            EVENTS (oldest first)
            2025-11-24T21:00:00Z  cleared   time_wait        :9000      TIME_WAIT 3000, threshold 5000
            2025-11-24T21:33:20Z  raised    time_wait        :8080      TIME_WAIT 5200, threshold 5000
            2025-11-24T22:03:20Z  raised    time_wait        :443       TIME_WAIT 5100, threshold 5000

            """)
    }

    @Test func noAlerts() {
        var snapshot = MonitorSnapshotFixture.snapshot()
        snapshot.alerts = []
        snapshot.history = []
        #expect(AlertListing(snapshot: snapshot).text(now: now) == "No active alerts.\n\nNo alert events since twmond started.\n")
    }

    /// `twmonctl ports` prints what `twmonctl scan` prints for the same table.
    @Test func portsMatchScan() {
        let table = MonitorSnapshotFixture.table
        #expect(PortListing(table: table).ports.map(\.stats) == table.ranked())
        let selected = PortListing(table: table, listeningOnly: true, limit: 1)
        #expect(selected.ports.map(\.stats) == table.ranked(listeningOnly: true, limit: 1))
        #expect(selected.text.hasSuffix("1 of 4 ports shown (3 server); 18014 sockets: ESTABLISHED=7 TIME_WAIT=18003 CLOSE_WAIT=1 LISTEN=3; 1 malformed rows\n"))
    }
}
