import Testing
@testable import TWMonCore

/// Drives an `AlertPolicy` with a manual clock: every `scan` evaluates at `now`, then moves
/// the clock on by one scan interval. No sleeps.
private struct PolicyHarness {
    var policy: AlertPolicy
    /// The moment the next scan is evaluated at.
    var now = Moment(monotonic: .seconds(1_000), wallClock: 1_700_000_000)
    /// Seconds between scans.
    var interval: Double = 5

    init(_ configuration: Configuration) {
        policy = AlertPolicy(configuration: configuration)
    }

    mutating func scan(_ table: PortTable, namespace: NamespaceTimeWait? = nil) -> [AlertAction] {
        defer { now = now.advanced(bySeconds: interval) }
        return policy.evaluate(ScanFindings(table: table, counters: namespace.map { NamespaceCounters(timeWait: $0) }), now: now)
    }

    /// Runs `count` identical scans and returns the actions of each.
    mutating func scans(_ count: Int, _ table: PortTable, namespace: NamespaceTimeWait? = nil) -> [[AlertAction]] {
        (0..<count).map { _ in scan(table, namespace: namespace) }
    }
}

/// A configuration with small, readable numbers: threshold 100, clear level 80, sustain 3,
/// no reminders, no namespace alert.
private func configuration(
    threshold: Int = 100, clearRatio: Double = 0.8, sustain: Int = 3, repeatInterval: Double = 0,
    twBucketsRatio: Double = 0, ports: [UInt16: Configuration.PortOverride] = [:]
) -> Configuration {
    var configuration = Configuration()
    configuration.alert.timeWaitThreshold = threshold
    configuration.alert.clearRatio = clearRatio
    configuration.alert.sustain = sustain
    configuration.alert.repeatInterval = repeatInterval
    configuration.alert.twBucketsRatio = twBucketsRatio
    configuration.ports = ports
    return configuration
}

/// A server port (it has a LISTEN socket) with IPv4 sockets.
private func server(_ port: UInt16, timeWait: Int, established: Int = 0) -> PortStats {
    PortStats(port: port, ipv4: StateCounts([.listen: 1, .timeWait: timeWait, .established: established]))
}

/// The client end of connections: an ephemeral port with no LISTEN socket.
private func client(_ port: UInt16, timeWait: Int) -> PortStats {
    PortStats(port: port, ipv4: StateCounts([.timeWait: timeWait, .established: 1]))
}

private func table(_ ports: PortStats...) -> PortTable {
    PortTable(ports: ports.sorted { $0.port < $1.port })
}

// The actions and alerts of the two kinds these tests are about, spelled as before the model
// had kinds: each is one `AlertAction` of one `Alert`.
extension AlertAction {
    fileprivate var isNamespaceRaise: Bool { event == .raised && alert.kind == .twBuckets }
    fileprivate var isReminder: Bool { event == .reminder }
    fileprivate static func portRaised(_ alert: Alert) -> AlertAction { AlertAction(.raised, alert) }
    fileprivate static func portReminder(_ alert: Alert) -> AlertAction { AlertAction(.reminder, alert) }
    fileprivate static func portCleared(_ alert: Alert) -> AlertAction { AlertAction(.cleared, alert) }
    fileprivate static func namespaceRaised(_ alert: Alert) -> AlertAction { AlertAction(.raised, alert) }
    fileprivate static func namespaceReminder(_ alert: Alert) -> AlertAction { AlertAction(.reminder, alert) }
    fileprivate static func namespaceCleared(_ alert: Alert) -> AlertAction { AlertAction(.cleared, alert) }
}

/// A `time_wait` alert as the policy makes it from these tables: no owner, no closes.
private func PortAlert(port: UInt16, timeWait: Int, established: Int, limits: AlertLimits, since: Double, peak: Int) -> Alert {
    let alert = Alert.timeWait(port: port, timeWait: timeWait, established: established, limits: limits, since: since, peak: peak,
                               recentCloses: RecentCloses())
    return alert
}

extension AlertPolicy {
    /// The active TIME_WAIT port alerts.
    fileprivate var activePortAlerts: [Alert] { activeAlerts.filter { $0.kind == .timeWait } }
    /// The active namespace alert.
    fileprivate var activeNamespaceAlert: Alert? { activeAlerts.first { $0.kind == .twBuckets } }
}

private let defaultLimits = AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 3)

@Suite("Alert policy")
struct AlertPolicyTests {
    // MARK: Raising

    @Test("raises only after `sustain` consecutive scans at or above the threshold", arguments: [1, 2, 3, 5] as [Int])
    func raisesAfterSustainScans(sustain: Int) {
        var harness = PolicyHarness(configuration(sustain: sustain))
        let high = table(server(8080, timeWait: 100))
        let early: [[AlertAction]] = harness.scans(sustain - 1, high)
        #expect(early.allSatisfy { $0.isEmpty })
        let raisedAt = harness.now.wallClock
        let limits = AlertLimits(threshold: 100, clearRatio: 0.8, sustain: sustain)
        #expect(harness.scan(high) == [.portRaised(PortAlert(port: 8080, timeWait: 100, established: 0, limits: limits, since: raisedAt, peak: 100))])
    }

    @Test func aDipBelowTheThresholdResetsTheStreak() {
        var harness = PolicyHarness(configuration())
        let counts: [Int] = [100, 150, 99, 100, 120]
        for count in counts {
            #expect(harness.scan(table(server(8080, timeWait: count))) == [])
        }
        let raisedAt = harness.now.wallClock
        #expect(harness.scan(table(server(8080, timeWait: 101))) == [
            .portRaised(PortAlert(port: 8080, timeWait: 101, established: 0, limits: defaultLimits, since: raisedAt, peak: 101)),
        ])
    }

    @Test func belowTheThresholdNeverRaises() {
        var harness = PolicyHarness(configuration())
        #expect(harness.scans(50, table(server(8080, timeWait: 99))).allSatisfy { $0.isEmpty })
        #expect(harness.policy.activePortAlerts == [])
    }

    // MARK: One action per transition

    @Test func oneActionPerTransitionAndNoneOnSteadyScans() {
        var harness = PolicyHarness(configuration())
        let high = table(server(8080, timeWait: 200))
        let low = table(server(8080, timeWait: 10))
        let raisedAt = harness.now.advanced(bySeconds: 2 * harness.interval).wallClock

        let raising: [[AlertAction]] = harness.scans(3, high)
        #expect(raising == [[], [], [.portRaised(PortAlert(port: 8080, timeWait: 200, established: 0, limits: defaultLimits, since: raisedAt, peak: 200))]])
        #expect(harness.scans(20, high).allSatisfy { $0.isEmpty })

        let clearing: [[AlertAction]] = harness.scans(3, low)
        #expect(clearing == [[], [], [.portCleared(PortAlert(port: 8080, timeWait: 10, established: 0, limits: defaultLimits, since: raisedAt, peak: 200))]])
        #expect(harness.scans(20, low).allSatisfy { $0.isEmpty })
        #expect(harness.policy.activePortAlerts == [])
        #expect(harness.policy.portsNearAlert(in: "host") == [])
    }

    // MARK: Hysteresis

    @Test func aCountBetweenClearLevelAndThresholdKeepsTheAlert() {
        var harness = PolicyHarness(configuration())
        _ = harness.scans(3, table(server(8080, timeWait: 100)))
        let counts: [Int] = [99, 90, 80, 85, 80, 99, 81, 80, 80, 80]
        for count in counts {
            let current = table(server(8080, timeWait: count))
            #expect(harness.scan(current) == [])
            #expect(harness.policy.activePortAlerts.map(\.port) == [8080])
        }
    }

    @Test func clearsOnlyAfterSustainScansBelowTheClearLevel() {
        var harness = PolicyHarness(configuration())
        let raisedAt = harness.now.advanced(bySeconds: 2 * harness.interval).wallClock
        _ = harness.scans(3, table(server(8080, timeWait: 130)))
        // Two scans below 80, then one at the clear level: the streak starts again.
        let counts: [Int] = [79, 0, 80, 79, 50]
        for count in counts {
            #expect(harness.scan(table(server(8080, timeWait: count))) == [])
        }
        #expect(harness.scan(table(server(8080, timeWait: 79, established: 4))) == [
            .portCleared(PortAlert(port: 8080, timeWait: 79, established: 4, limits: defaultLimits, since: raisedAt, peak: 130)),
        ])
        #expect(harness.policy.portsNearAlert(in: "host") == [])
    }

    @Test("clear level is threshold × clear_ratio, rounded up", arguments: [
        (5_000, 0.8, 4_000), (100, 0.8, 80), (100, 1, 100), (10, 0.25, 3), (7, 0.5, 4), (1, 0.01, 1),
        // Binary floating point makes these products a hair above the integer the ratio means.
        (5_000, 0.81, 4_050), (5_000, 0.17, 850), (100, 0.07, 7), (100, 0.56, 56), (20_000, 0.68, 13_600),
    ] as [(Int, Double, Int)])
    func clearLevel(threshold: Int, clearRatio: Double, clearBelow: Int) {
        #expect(AlertLimits(threshold: threshold, clearRatio: clearRatio, sustain: 1).clearBelow == clearBelow)
    }

    @Test func aCountAtExactlyThresholdTimesClearRatioIsNotBelowIt() {
        // 5000 × 0.81 = 4050: a count of 4050 keeps the alert, 4049 counts towards clearing.
        var harness = PolicyHarness(configuration(threshold: 5_000, clearRatio: 0.81, sustain: 1))
        let limits = AlertLimits(threshold: 5_000, clearRatio: 0.81, sustain: 1)
        let raisedAt = harness.now.wallClock
        _ = harness.scan(table(server(8080, timeWait: 5_000)))
        #expect(harness.scan(table(server(8080, timeWait: 4_050))) == [])
        #expect(harness.scan(table(server(8080, timeWait: 4_049))) == [
            .portCleared(PortAlert(port: 8080, timeWait: 4_049, established: 0, limits: limits, since: raisedAt, peak: 5_000)),
        ])
    }

    @Test func clearRatioOfOneMeansNoHysteresis() {
        var harness = PolicyHarness(configuration(clearRatio: 1, sustain: 1))
        let limits = AlertLimits(threshold: 100, clearRatio: 1, sustain: 1)
        let raisedAt = harness.now.wallClock
        #expect(harness.scan(table(server(8080, timeWait: 100))) == [
            .portRaised(PortAlert(port: 8080, timeWait: 100, established: 0, limits: limits, since: raisedAt, peak: 100)),
        ])
        #expect(harness.scan(table(server(8080, timeWait: 99))) == [
            .portCleared(PortAlert(port: 8080, timeWait: 99, established: 0, limits: limits, since: raisedAt, peak: 100)),
        ])
    }

    // MARK: Reminders

    @Test func remindsAtMostOncePerRepeatIntervalWithTheCurrentCount() {
        var harness = PolicyHarness(configuration(repeatInterval: 60))
        let raisedAt = harness.now.advanced(bySeconds: 2 * harness.interval).wallClock
        let limits = AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 3)
        _ = harness.scans(3, table(server(8080, timeWait: 100)))
        // 11 scans (55 s) after the raise: nothing; the count rises meanwhile.
        for count in 1...11 {
            #expect(harness.scan(table(server(8080, timeWait: 100 + count * 10))) == [])
        }
        // 60 s after the raise: one reminder, with this scan's count and the peak so far.
        #expect(harness.scan(table(server(8080, timeWait: 95, established: 2))) == [
            .portReminder(PortAlert(port: 8080, timeWait: 95, established: 2, limits: limits, since: raisedAt, peak: 210)),
        ])
        #expect(harness.scans(11, table(server(8080, timeWait: 90))).allSatisfy { $0.isEmpty })
        #expect(harness.scan(table(server(8080, timeWait: 91))) == [
            .portReminder(PortAlert(port: 8080, timeWait: 91, established: 0, limits: limits, since: raisedAt, peak: 210)),
        ])
    }

    @Test func remindersFollowTheClockNotTheScanCount() {
        var harness = PolicyHarness(configuration(repeatInterval: 60))
        harness.interval = 7
        let high = table(server(8080, timeWait: 100))
        _ = harness.scans(3, high)
        // Scans at 7, 14, ..., 56 s after the raise: none; at 63 s: one; then none until 126 s.
        let actions: [[AlertAction]] = harness.scans(18, high)
        let reminderScans = actions.indices.filter { !actions[$0].isEmpty }
        #expect(reminderScans == [8, 17])
        #expect(actions.joined().allSatisfy { $0.isReminder })
    }

    @Test func noRemindersWhenRepeatIsZero() {
        var harness = PolicyHarness(configuration(repeatInterval: 0))
        _ = harness.scans(3, table(server(8080, timeWait: 500)))
        // Two hours of scans with the alert active.
        #expect(harness.scans(1_440, table(server(8080, timeWait: 500))).allSatisfy { $0.isEmpty })
        #expect(harness.policy.activePortAlerts.count == 1)
    }

    // MARK: Per-port overrides

    @Test func perPortOverridesApplyToTheirPortOnly() {
        let busy = Configuration.PortOverride(timeWaitThreshold: 1_000, clearRatio: 0.5, sustain: 1)
        let slow = Configuration.PortOverride(sustain: 5)
        var harness = PolicyHarness(configuration(ports: [8080: busy, 9090: slow]))
        let busyLimits = AlertLimits(threshold: 1_000, clearRatio: 0.5, sustain: 1)
        let slowLimits = AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 5)

        // 500 is far above the global threshold, below 8080's; 9090 needs 5 scans; 7070 has the defaults.
        let start = harness.now.wallClock
        let first: [[AlertAction]] = harness.scans(5, table(server(7070, timeWait: 100), server(8080, timeWait: 999), server(9090, timeWait: 100)))
        #expect(first == [
            [], [],
            [.portRaised(PortAlert(port: 7070, timeWait: 100, established: 0, limits: defaultLimits, since: start + 10, peak: 100))],
            [],
            [.portRaised(PortAlert(port: 9090, timeWait: 100, established: 0, limits: slowLimits, since: start + 20, peak: 100))],
        ])

        // 8080 raises on its first scan at 1000 and stays active down to 500.
        let raisedAt = harness.now.wallClock
        #expect(harness.scan(table(server(7070, timeWait: 100), server(8080, timeWait: 1_000), server(9090, timeWait: 100))) == [
            .portRaised(PortAlert(port: 8080, timeWait: 1_000, established: 0, limits: busyLimits, since: raisedAt, peak: 1_000)),
        ])
        #expect(harness.scan(table(server(7070, timeWait: 100), server(8080, timeWait: 500), server(9090, timeWait: 100))) == [])
        #expect(harness.scan(table(server(7070, timeWait: 100), server(8080, timeWait: 499), server(9090, timeWait: 100))) == [
            .portCleared(PortAlert(port: 8080, timeWait: 499, established: 0, limits: busyLimits, since: raisedAt, peak: 1_000)),
        ])
        #expect(harness.policy.activePortAlerts.map(\.limits) == [defaultLimits, slowLimits])
    }

    // MARK: Ignored ports

    @Test func ignoredPortsNeverAlert() {
        var harness = PolicyHarness(configuration(sustain: 1, ports: [9100: Configuration.PortOverride(ignore: true)]))
        let flood = table(server(9100, timeWait: 1_000_000))
        #expect(harness.scans(10, flood).allSatisfy { $0.isEmpty })
        #expect(harness.policy.portsNearAlert(in: "host") == [])
        #expect(harness.policy.activePortAlerts == [])
    }

    @Test func anActiveAlertOnAPortThatBecomesIgnoredIsCleared() {
        let override = Configuration.PortOverride(timeWaitThreshold: 200, clearRatio: 0.5, sustain: 2)
        var harness = PolicyHarness(configuration(ports: [8080: override]))
        let limits = AlertLimits(threshold: 200, clearRatio: 0.5, sustain: 2)
        let raisedAt = harness.now.advanced(bySeconds: harness.interval).wallClock
        let high = table(server(8080, timeWait: 300, established: 5), server(7070, timeWait: 100))
        let raising: [[AlertAction]] = harness.scans(3, high)
        #expect(raising == [
            [],
            [.portRaised(PortAlert(port: 8080, timeWait: 300, established: 5, limits: limits, since: raisedAt, peak: 300))],
            [.portRaised(PortAlert(port: 7070, timeWait: 100, established: 0, limits: defaultLimits, since: raisedAt + 5, peak: 100))],
        ])

        // A reload marks 8080 as ignored: its alert clears on the next scan, at once, and the
        // entry carries the limits it was judged by; 7070 is unaffected.
        var reloaded = harness.policy.configuration
        reloaded.ports[8080]?.ignore = true
        harness.policy.configuration = reloaded
        #expect(harness.scan(high) == [
            .portCleared(PortAlert(port: 8080, timeWait: 300, established: 5, limits: limits, since: raisedAt, peak: 300)),
        ])
        #expect(harness.policy.activePortAlerts.map(\.port) == [7070])
        #expect(harness.policy.portsNearAlert(in: "host") == [7070])
        #expect(harness.scans(5, high).allSatisfy { $0.isEmpty })
    }

    @Test func aPortOnItsWayToAnAlertThatBecomesIgnoredIsForgottenQuietly() {
        var harness = PolicyHarness(configuration())
        _ = harness.scans(2, table(server(8080, timeWait: 100)))
        #expect(harness.policy.portsNearAlert(in: "host") == [8080])
        harness.policy.configuration.ports[8080] = Configuration.PortOverride(ignore: true)
        #expect(harness.scan(table(server(8080, timeWait: 100))) == [])
        #expect(harness.policy.portsNearAlert(in: "host") == [])
    }

    // MARK: Client ports

    @Test func clientPortsNeverAlert() {
        var harness = PolicyHarness(configuration(sustain: 1))
        let clients = table(client(40_000, timeWait: 1_000_000), client(50_000, timeWait: 60_000))
        #expect(harness.scans(10, clients).allSatisfy { $0.isEmpty })
        #expect(harness.policy.portsNearAlert(in: "host") == [])
        #expect(harness.policy.activePortAlerts == [])
    }

    @Test func aListenerInEitherFamilyMakesAServerPort() {
        var harness = PolicyHarness(configuration(sustain: 1))
        // LISTEN only in tcp6; TIME_WAIT split over both families.
        let dualStack = PortStats(
            port: 443, ipv4: StateCounts([.timeWait: 60, .established: 7]),
            ipv6: StateCounts([.listen: 1, .timeWait: 50, .established: 3])
        )
        let raisedAt = harness.now.wallClock
        #expect(harness.scan(table(dualStack)) == [
            .portRaised(PortAlert(
                port: 443, timeWait: 110, established: 10,
                limits: AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 1), since: raisedAt, peak: 110
            )),
        ])
    }

    // MARK: Disappearing ports

    @Test func aPortGoneFromTheTableCountsAsZeroAndClears() {
        var harness = PolicyHarness(configuration())
        let raisedAt = harness.now.advanced(bySeconds: 2 * harness.interval).wallClock
        _ = harness.scans(3, table(server(8080, timeWait: 400, established: 9)))
        let empty = table()
        let clearing: [[AlertAction]] = harness.scans(4, empty)
        #expect(clearing == [
            [], [],
            [.portCleared(PortAlert(port: 8080, timeWait: 0, established: 0, limits: defaultLimits, since: raisedAt, peak: 400))],
            [],
        ])
        #expect(harness.policy.portsNearAlert(in: "host") == [])
    }

    @Test func aPortThatStopsListeningStillClearsByItsCount() {
        var harness = PolicyHarness(configuration())
        _ = harness.scans(3, table(server(8080, timeWait: 400)))
        // The server is gone but its TIME_WAIT sockets linger: still active while they do.
        #expect(harness.scans(3, table(client(8080, timeWait: 400))).allSatisfy { $0.isEmpty })
        #expect(harness.policy.activePortAlerts.map(\.port) == [8080])
        let clearing: [[AlertAction]] = harness.scans(3, table(client(8080, timeWait: 10)))
        #expect(clearing.map(\.count) == [0, 0, 1])
    }

    // MARK: Namespace alert

    @Test func namespaceAlertRaisesRemindsAndClearsWithItsOwnActions() {
        var harness = PolicyHarness(configuration(repeatInterval: 30, twBucketsRatio: 0.8))
        // 1000 buckets × 0.8: raised at 800, cleared below 640.
        let empty = table()
        let below: [[AlertAction]] = harness.scans(5, empty, namespace: NamespaceTimeWait(timeWait: 799, maxBuckets: 1_000))
        #expect(below.allSatisfy { $0.isEmpty })
        let raisedAt = harness.now.advanced(bySeconds: 2 * harness.interval).wallClock
        func alert(_ timeWait: Int) -> Alert {
            Alert.twBuckets(timeWait: timeWait, maxBuckets: 1_000, ratio: 0.8, threshold: 800, since: raisedAt, peak: 800)
        }
        let raising: [[AlertAction]] = harness.scans(3, empty, namespace: NamespaceTimeWait(timeWait: 800, maxBuckets: 1_000))
        #expect(raising == [[], [], [.namespaceRaised(alert(800))]])
        #expect(harness.policy.activeNamespaceAlert == alert(800))

        let held: [[AlertAction]] = harness.scans(6, empty, namespace: NamespaceTimeWait(timeWait: 640, maxBuckets: 1_000))
        #expect(held == [[], [], [], [], [], [.namespaceReminder(alert(640))]])

        let clearing: [[AlertAction]] = harness.scans(4, empty, namespace: NamespaceTimeWait(timeWait: 639, maxBuckets: 1_000))
        #expect(clearing == [[], [], [.namespaceCleared(alert(639))], []])
        #expect(harness.policy.activeNamespaceAlert == nil)
        // Port alerts are untouched by the namespace alert.
        #expect(harness.policy.portsNearAlert(in: "host") == [])
    }

    @Test func portAndNamespaceActionsComeInOneScan() {
        var harness = PolicyHarness(configuration(sustain: 1, twBucketsRatio: 0.5))
        let raisedAt = harness.now.wallClock
        let limits = AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 1)
        #expect(harness.scan(table(server(8080, timeWait: 150)), namespace: NamespaceTimeWait(timeWait: 150, maxBuckets: 300)) == [
            .portRaised(PortAlert(port: 8080, timeWait: 150, established: 0, limits: limits, since: raisedAt, peak: 150)),
            .namespaceRaised(Alert.twBuckets(timeWait: 150, maxBuckets: 300, ratio: 0.5, threshold: 150, sustain: 1, since: raisedAt)),
        ])
    }

    @Test func namespaceThresholdIsTheShareOfTheBucketLimitRoundedUp() {
        var harness = PolicyHarness(configuration(sustain: 1, twBucketsRatio: 0.81))
        // 10000 × 0.81 = 8100 exactly as written (a hair more in binary floating point).
        let raisedAt = harness.now.wallClock
        #expect(harness.scan(table(), namespace: NamespaceTimeWait(timeWait: 8_100, maxBuckets: 10_000)) == [
            .namespaceRaised(Alert.twBuckets(timeWait: 8_100, maxBuckets: 10_000, ratio: 0.81, threshold: 8_100, sustain: 1, since: raisedAt)),
        ])
        // 262144 × 0.8 = 209715.2: the threshold is the next whole socket.
        var rounding = PolicyHarness(configuration(sustain: 1, twBucketsRatio: 0.8))
        #expect(rounding.scan(table(), namespace: NamespaceTimeWait(timeWait: 209_715, maxBuckets: 262_144)) == [])
        #expect(rounding.scan(table(), namespace: NamespaceTimeWait(timeWait: 209_716, maxBuckets: 262_144)).map(\.isNamespaceRaise) == [true])
    }

    @Test func namespaceAlertIsDisabledByARatioOfZero() {
        var harness = PolicyHarness(configuration(sustain: 1, twBucketsRatio: 0))
        let full = NamespaceTimeWait(timeWait: 262_144, maxBuckets: 262_144)
        #expect(harness.scans(10, table(), namespace: full).allSatisfy { $0.isEmpty })
        #expect(harness.policy.activeNamespaceAlert == nil)
    }

    @Test func namespaceAlertNeedsAKnownBucketLimit() {
        var harness = PolicyHarness(configuration(sustain: 1, twBucketsRatio: 0.8))
        #expect(harness.scans(5, table(), namespace: NamespaceTimeWait(timeWait: 1_000, maxBuckets: 0)).allSatisfy { $0.isEmpty })
        #expect(harness.scans(5, table(), namespace: nil).allSatisfy { $0.isEmpty })
    }

    // MARK: Alert contents

    @Test func portAlertCarriesCountsLimitsSinceAndPeak() throws {
        var harness = PolicyHarness(configuration(repeatInterval: 10))
        harness.now = Moment(monotonic: .seconds(42), wallClock: 1_234_567_890.5)
        let both = { (tw4: Int, tw6: Int) in
            table(PortStats(
                port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: tw4, .established: 7, .closeWait: 2]),
                ipv6: StateCounts([.listen: 1, .timeWait: tw6, .established: 3])
            ))
        }
        _ = harness.scans(2, both(60, 60))
        let raisedAt = harness.now.wallClock
        let raised = try #require(harness.scan(both(60, 50)).first)
        #expect(raised == .portRaised(PortAlert(port: 8080, timeWait: 110, established: 10, limits: defaultLimits, since: 1_234_567_900.5, peak: 110)))
        #expect(raisedAt == 1_234_567_900.5)

        // The peak follows the highest count seen while active.
        #expect(harness.scan(both(150, 50)) == [])
        #expect(harness.scan(both(100, 20)) == [
            .portReminder(PortAlert(port: 8080, timeWait: 120, established: 10, limits: defaultLimits, since: raisedAt, peak: 200)),
        ])
        // The active alert shows the latest scan's figures.
        #expect(harness.scan(both(80, 10)) == [])
        let active = try #require(harness.policy.activePortAlerts.first)
        #expect(active == PortAlert(port: 8080, timeWait: 90, established: 10, limits: defaultLimits, since: raisedAt, peak: 200))
    }

    // MARK: Queries

    @Test func portsNearAlertListsStreaksAndActiveAlerts() {
        var harness = PolicyHarness(configuration())
        #expect(harness.policy.portsNearAlert(in: "host") == [])
        _ = harness.scan(table(server(9090, timeWait: 100), server(8080, timeWait: 100), server(7070, timeWait: 99), client(40_000, timeWait: 500)))
        #expect(harness.policy.portsNearAlert(in: "host") == [8080, 9090])
        // 9090 dips: its streak is gone, and with it its place in the list.
        _ = harness.scan(table(server(8080, timeWait: 100), server(9090, timeWait: 10)))
        #expect(harness.policy.portsNearAlert(in: "host") == [8080])
        _ = harness.scan(table(server(8080, timeWait: 100)))
        // Active now, and still near an alert while it is clearing.
        _ = harness.scan(table(server(8080, timeWait: 0)))
        #expect(harness.policy.portsNearAlert(in: "host") == [8080])
    }

    @Test func activeAlertsReportTheLatestScanSortedByPort() {
        var harness = PolicyHarness(configuration(sustain: 2))
        _ = harness.scan(table(server(9090, timeWait: 300), server(8080, timeWait: 200), server(7070, timeWait: 50)))
        let raisedAt = harness.now.wallClock
        _ = harness.scan(table(server(9090, timeWait: 300), server(8080, timeWait: 200), server(7070, timeWait: 50)))
        // 7070 starts a streak but is not active; 9090 is below its clear level but not cleared.
        let later = table(server(8080, timeWait: 180, established: 1), server(9090, timeWait: 70), server(7070, timeWait: 500))
        _ = harness.scan(later)
        #expect(harness.policy.activePortAlerts == [
            PortAlert(port: 8080, timeWait: 180, established: 1, limits: AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 2), since: raisedAt, peak: 200),
            PortAlert(port: 9090, timeWait: 70, established: 0, limits: AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 2), since: raisedAt, peak: 300),
        ])
        // Ports gone from the table count as zero.
        _ = harness.scan(table())
        #expect(harness.policy.activePortAlerts.map(\.count) == [0])
    }

    // MARK: Owners

    /// The owner comes from the port's LISTEN socket: when the listener goes away while its
    /// TIME_WAIT sockets stay, the alert keeps naming the owner it had, up to its clearing.
    @Test func anAlertKeepsItsOwnerWhenTheListenerGoes() {
        var harness = PolicyHarness(configuration(sustain: 1))
        var owned = server(8080, timeWait: 200)
        owned.owner = PortOwner(cgroup: "/system.slice/api.service", unit: "api.service")
        let raised = harness.scan(table(owned))
        #expect(raised.first?.alert.figures.owner?.unit == "api.service")
        // The service stopped: no LISTEN socket, no owner in the scan, TIME_WAIT still high.
        let orphaned = PortStats(port: 8080, ipv4: StateCounts([.timeWait: 150]))
        #expect(harness.scan(table(orphaned)).isEmpty)
        #expect(harness.policy.activePortAlerts.first?.figures.owner?.unit == "api.service")
        let cleared = harness.scan(table(PortStats(port: 8080, ipv4: StateCounts([.timeWait: 10]))))
        #expect(cleared.map(\.event) == [.cleared])
        #expect(cleared.first?.alert.figures.owner?.unit == "api.service")
    }
}
