import Testing
@testable import TWMonCore

@Suite("twmonctl check verdicts")
struct MonitoringCheckTests {
    private let now = MonitorSnapshotFixture.now
    private let busiest = MonitorSnapshotFixture.table[port: 8080]

    private func status(alerts: [Alert]? = nil, namespaceAlert: Alert? = nil) -> MonitorStatus {
        var snapshot = MonitorSnapshotFixture.snapshot(namespaceAlert: namespaceAlert)
        if let alerts { snapshot.alerts = (namespaceAlert.map { [$0] } ?? []) + alerts }
        return MonitorStatus(snapshot: snapshot, now: now)
    }

    private func alert(port: UInt16, timeWait: Int) -> Alert {
        let alert = Alert.timeWait(port: port, timeWait: timeWait, established: 0, limits: MonitorSnapshotFixture.limits, since: 0, peak: timeWait,
                                   recentCloses: RecentCloses())
        return alert
    }

    @Test func okWithoutAlerts() {
        let (state, output) = MonitoringCheck().evaluate(status(alerts: []), busiestServerPort: busiest)
        #expect(state == .ok)
        #expect(output == "TWMON OK - no alerts; 18014 sockets, 18003 TIME_WAIT, 3 server ports, busiest server port :8080 (nginx.service) with 12000 TIME_WAIT | port_time_wait=12000;5000;10000;0 time_wait=18003;;;0;262144 established=7;;;0 sockets=18014;;;0 ports=4;;;0 server_ports=3;;;0 alerts=0;;;0 scan_duration=41.25ms;;;0")
    }

    @Test func warningWhenAPortAlertIsActive() {
        let (state, output) = MonitoringCheck().evaluate(status(alerts: [alert(port: 443, timeWait: 6_000)]), busiestServerPort: busiest)
        #expect(state == .warning)
        #expect(output.hasPrefix("TWMON WARNING - :443 TIME_WAIT 6000 ≥ 5000 at 0.0 closes/s; "))
        #expect(output.contains(" alerts=1;;;0 "))
    }

    @Test func criticalAtTwiceTheThreshold() {
        let (state, output) = MonitoringCheck().evaluate(status(), busiestServerPort: busiest)
        #expect(state == .critical)
        #expect(output.hasPrefix("TWMON CRITICAL - :443 TIME_WAIT 6000 ≥ 5000 at 0.0 closes/s, :8080 (nginx.service) TIME_WAIT 12000 ≥ 5000 (×2) at 100 closes/s; "))
        let (justBelow, _) = MonitoringCheck().evaluate(status(alerts: [alert(port: 8080, timeWait: 9_999)]), busiestServerPort: busiest)
        #expect(justBelow == .warning)
        let (exactly, _) = MonitoringCheck().evaluate(status(alerts: [alert(port: 8080, timeWait: 10_000)]), busiestServerPort: busiest)
        #expect(exactly == .critical)
    }

    @Test func criticalWhenTheNamespaceAlertIsActive() {
        let (state, output) = MonitoringCheck().evaluate(status(alerts: [], namespaceAlert: MonitorSnapshotFixture.namespaceAlert), busiestServerPort: busiest)
        #expect(state == .critical)
        #expect(output.hasPrefix("TWMON CRITICAL - namespace TIME_WAIT 210000 ≥ 209716 of tcp_max_tw_buckets=262144; "))
    }

    @Test func overridesJudgeTheBusiestServerPort() {
        let quiet = status(alerts: [])
        #expect(MonitoringCheck(warning: 12_001).evaluate(quiet, busiestServerPort: busiest).state == .ok)
        #expect(MonitoringCheck(warning: 12_000).evaluate(quiet, busiestServerPort: busiest).state == .warning)
        #expect(MonitoringCheck(warning: 6_000).evaluate(quiet, busiestServerPort: busiest).state == .critical)
        #expect(MonitoringCheck(critical: 12_000).evaluate(quiet, busiestServerPort: busiest).state == .critical)
        #expect(MonitoringCheck(critical: 20_000).evaluate(quiet, busiestServerPort: busiest).state == .ok)
        // The daemon's port alerts are not consulted with overrides.
        #expect(MonitoringCheck(warning: 50_000).evaluate(status(), busiestServerPort: busiest).state == .ok)
        #expect(MonitoringCheck(warning: 50_000).evaluate(quiet, busiestServerPort: busiest).output.contains("port_time_wait=12000;50000;100000;0 "))
        #expect(MonitoringCheck(warning: 1).evaluate(quiet, busiestServerPort: nil).state == .ok)
    }

    @Test func unknownLine() {
        #expect(MonitoringCheck.unknown("twmond is not running?\nx") == "TWMON UNKNOWN - twmond is not running? x")
    }

    /// The fixture scans every 5 s: a last good scan 15 s old is still judged, 16 s is UNKNOWN
    /// whatever the alerts say, with the problem that explains it.
    @Test func unknownWhenTheLastGoodScanIsOlderThanThreeIntervals() {
        var snapshot = MonitorSnapshotFixture.snapshot()
        snapshot.problem = "scan failed: net/tcp is a directory"
        let fresh = MonitorStatus(snapshot: snapshot, now: snapshot.scannedAt + 15.5)
        #expect(fresh.scanAgeSeconds == 15)
        #expect(MonitoringCheck().evaluate(fresh, busiestServerPort: busiest).state == .critical)
        let stale = MonitorStatus(snapshot: snapshot, now: snapshot.scannedAt + 16)
        let (state, output) = MonitoringCheck().evaluate(stale, busiestServerPort: busiest)
        #expect(state == .unknown)
        #expect(output == "TWMON UNKNOWN - last successful scan 16 s ago, more than 3 scan intervals of 5 s: scan failed: net/tcp is a directory")
        // A clock set back is not an age below zero.
        #expect(MonitorStatus(snapshot: snapshot, now: snapshot.scannedAt - 100).scanAgeSeconds == 0)
    }

    /// One alert of each new kind: tw_overflow is CRITICAL, ephemeral_ports from 95 % of the
    /// usable range, close_wait WARNING; overrides for the busiest port leave them counted.
    @Test func verdictsOfTheOtherKinds() {
        let limits = AlertLimits(threshold: 400, clearRatio: 0.8, sustain: 2)
        let loopback = IPAddress(text: "127.0.0.1")!
        func ephemeral(_ sockets: Int) -> Alert {
            Alert(subject: .clientTuple(ClientTuple(localAddress: loopback, remoteAddress: loopback, remotePort: 8080)),
                  count: sockets, limits: limits, since: 0, peak: sockets, figures: EphemeralPortsAlertFigures(ratio: 0.8, timeWait: 0, usablePorts: 500, portRange: "32768-60999", twReuse: nil))
        }
        let closeWait = Alert(subject: .port(8080), count: 200, limits: limits, since: 0, peak: 200, figures: CloseWaitAlertFigures(oldestAgeSeconds: 0, minAgeSeconds: 0))
        let overflow = Alert(subject: .namespace, count: 5, limits: AlertLimits(threshold: 1, clearRatio: 1, sustain: 1),
                             since: 0, peak: 5, figures: TWOverflowAlertFigures(overflowSinceStart: 800, twRecycledSinceStart: 0))
        let check = MonitoringCheck()
        #expect(check.evaluate(status(alerts: [closeWait]), busiestServerPort: busiest).output.hasPrefix("TWMON WARNING - :8080 CLOSE_WAIT 200 ≥ 400; "))
        #expect(check.evaluate(status(alerts: [ephemeral(474)]), busiestServerPort: busiest).state == .warning)
        let (full, output) = check.evaluate(status(alerts: [ephemeral(475)]), busiestServerPort: busiest)
        #expect(full == .critical)
        #expect(output.hasPrefix("TWMON CRITICAL - 127.0.0.1 → 127.0.0.1:8080 475 of 500 ephemeral ports (≥ 95 %); "))
        let (destroyed, line) = check.evaluate(status(alerts: [overflow]), busiestServerPort: busiest)
        #expect(destroyed == .critical)
        #expect(line.hasPrefix("TWMON CRITICAL - TIME_WAIT overflow: 800 sockets destroyed past tcp_max_tw_buckets; "))
        #expect(MonitoringCheck(warning: 50_000).evaluate(status(alerts: [closeWait]), busiestServerPort: busiest).state == .warning)
        #expect(MonitoringCheck(warning: 50_000).evaluate(status(alerts: [overflow]), busiestServerPort: busiest).state == .critical)
    }
}
