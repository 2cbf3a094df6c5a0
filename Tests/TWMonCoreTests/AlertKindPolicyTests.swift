import Testing
@testable import TWMonCore

/// The alert kinds beyond a server port's TIME_WAIT, driven through `AlertPolicy` with a
/// manual clock: raise, sustain, hysteresis, clear, reminders, overrides and a reload in the
/// middle of an alert, for `close_wait`, `ephemeral_ports` and `tw_overflow`.
@Suite("Alert policy: close_wait, ephemeral_ports, tw_overflow")
struct AlertKindPolicyTests {
    /// A policy and a manual clock: every `scan` evaluates at `now`, then moves it one interval on.
    struct Harness {
        var policy: AlertPolicy
        var now = Moment(monotonic: .seconds(1_000), wallClock: 1_700_000_000)
        var interval: Double = 5
        var ages = CloseWaitAges()

        init(_ configuration: Configuration) {
            policy = AlertPolicy(configuration: configuration)
        }

        /// One scan with CLOSE_WAIT sockets (port, inode), client destinations and counters.
        mutating func scan(
            closeWait: [CloseWaitSocket] = [], clients: [ClientTupleCount] = [], counters: NamespaceCounters? = nil,
            table: PortTable = PortTable()
        ) -> [AlertAction] {
            defer { now = now.advanced(bySeconds: interval) }
            let figures = ages.update(closeWait, now: now, minAge: policy.configuration.closeWait.minAge)
            return policy.evaluate(ScanFindings(table: table, counters: counters, closeWait: figures, clientTuples: clients), now: now)
        }
    }

    static func configuration(sustain: Int = 2, repeatInterval: Double = 0) -> Configuration {
        var configuration = Configuration()
        configuration.alert.sustain = sustain
        configuration.alert.repeatInterval = repeatInterval
        configuration.alert.twBucketsRatio = 0
        configuration.closeWait.threshold = 10
        configuration.closeWait.minAge = 10
        return configuration
    }

    /// `count` CLOSE_WAIT sockets on `port`, inodes from `first` on.
    static func closeWait(_ port: UInt16, _ count: Int, first: UInt64 = 1_000) -> [CloseWaitSocket] {
        (0..<UInt64(count)).map { CloseWaitSocket(port: port, inode: first + $0) }
    }

    // MARK: close_wait

    @Test func closeWaitCountsOnlySocketsOlderThanMinAge() {
        var harness = Harness(Self.configuration())
        let held = Self.closeWait(8080, 12)
        // Seen at 0 s and 5 s: younger than 10 s, nothing counts.
        #expect(harness.scan(closeWait: held) == [])
        #expect(harness.scan(closeWait: held) == [])
        // At 10 s they are old enough: the first scan at the threshold; sustain 2 raises at 15 s.
        #expect(harness.scan(closeWait: held) == [])
        let raisedAt = harness.now.wallClock
        let actions = harness.scan(closeWait: held)
        let limits = AlertLimits(threshold: 10, clearRatio: 0.8, sustain: 2)
        #expect(actions == [AlertAction(.raised, Alert(
            subject: .port(8080), count: 12, limits: limits, since: raisedAt, peak: 12,
            figures: CloseWaitAlertFigures(oldestAgeSeconds: 15, minAgeSeconds: 10)))])
        #expect(harness.policy.activeAlerts.map(\.kind) == [.closeWait])
    }

    @Test func closeWaitAgesFollowInodesNewSocketsStartYoung() {
        var harness = Harness(Self.configuration(sustain: 1))
        #expect(harness.scan(closeWait: Self.closeWait(8080, 12)) == [])
        // Another 12 sockets replace them (new inodes): none is old, however long the port has had CLOSE_WAIT.
        #expect(harness.scan(closeWait: Self.closeWait(8080, 12, first: 5_000)) == [])
        #expect(harness.scan(closeWait: Self.closeWait(8080, 12, first: 9_000)) == [])
        #expect(harness.policy.activeAlerts == [])
        // The same inode on another port is another socket.
        #expect(harness.scan(closeWait: Self.closeWait(9090, 12, first: 9_000)) == [])
    }

    @Test func closeWaitHysteresisAndClear() {
        var harness = Harness(Self.configuration())
        harness.interval = 10
        let twelve = Self.closeWait(8080, 12)
        _ = harness.scan(closeWait: twelve)
        _ = harness.scan(closeWait: twelve)
        #expect(harness.scan(closeWait: twelve).map(\.event) == [.raised])
        // 8 is below the threshold but not below the clear level (8): still active.
        let eight = Array(twelve.prefix(8))
        #expect(harness.scan(closeWait: eight) == [])
        #expect(harness.scan(closeWait: eight) == [])
        // 7 is below it: two scans clear it.
        let seven = Array(twelve.prefix(7))
        #expect(harness.scan(closeWait: seven) == [])
        let cleared = harness.scan(closeWait: seven)
        #expect(cleared.map(\.event) == [.cleared])
        #expect(cleared.first?.alert.count == 7)
        #expect(cleared.first?.alert.peak == 12)
        #expect(harness.policy.activeAlerts == [])
    }

    @Test func closeWaitRemindsAndClearsWhenTheApplicationCloses() {
        var harness = Harness(Self.configuration(sustain: 1, repeatInterval: 20))
        harness.interval = 10
        let held = Self.closeWait(8080, 12)
        _ = harness.scan(closeWait: held)
        #expect(harness.scan(closeWait: held).map(\.event) == [.raised])
        #expect(harness.scan(closeWait: held) == [])
        #expect(harness.scan(closeWait: held).map(\.event) == [.reminder])
        // Closed: the port is gone from the scan, and counts as zero.
        #expect(harness.scan().map(\.event) == [.cleared])
    }

    @Test func closeWaitPerPortOverridesAndIgnore() {
        var configuration = Self.configuration(sustain: 1)
        configuration.ports[7070] = Configuration.PortOverride(closeWaitThreshold: 20)
        configuration.ports[6060] = Configuration.PortOverride(ignore: true)
        configuration.ports[5050] = Configuration.PortOverride(closeWaitThreshold: 0)
        var harness = Harness(configuration)
        harness.interval = 10
        let sockets = Self.closeWait(7070, 15, first: 100) + Self.closeWait(6060, 50, first: 200)
            + Self.closeWait(5050, 50, first: 300) + Self.closeWait(8080, 10, first: 400)
        _ = harness.scan(closeWait: sockets)
        let actions = harness.scan(closeWait: sockets)
        // Only 8080 (default threshold 10); 7070's 15 are below its 20; 6060 ignored; 5050 off.
        #expect(actions.map(\.alert.subject) == [.port(8080)])
        #expect(harness.scan(closeWait: sockets + Self.closeWait(7070, 5, first: 500)) == [])
        // The five new ones on 7070 are old a scan later: 20 ≥ 20.
        #expect(harness.scan(closeWait: sockets + Self.closeWait(7070, 5, first: 500)).map(\.alert.subject) == [.port(7070)])
    }

    @Test func reloadInTheMiddleOfACloseWaitAlert() {
        var harness = Harness(Self.configuration(sustain: 1))
        harness.interval = 10
        let held = Self.closeWait(8080, 12)
        _ = harness.scan(closeWait: held)
        #expect(harness.scan(closeWait: held).map(\.event) == [.raised])
        // A higher threshold: the active alert is judged by it (12 < 16 × 0.8 = 12.8 → clears).
        var raised = harness.policy.configuration
        raised.closeWait.threshold = 16
        harness.policy.configuration = raised
        let cleared = harness.scan(closeWait: held)
        #expect(cleared.map(\.event) == [.cleared])
        #expect(cleared.first?.alert.limits.threshold == 16)
        // Switched off by a reload while active: cleared at once.
        harness.policy.configuration = Self.configuration(sustain: 1)
        #expect(harness.scan(closeWait: held).map(\.event) == [.raised])
        var off = harness.policy.configuration
        off.closeWait.threshold = 0
        harness.policy.configuration = off
        #expect(harness.scan(closeWait: held).map(\.event) == [.cleared])
        #expect(harness.scan(closeWait: held) == [])
    }

    // MARK: ephemeral_ports

    static let loopback = IPAddress(text: "127.0.0.1")!
    static let server = IPAddress(text: "10.0.0.5")!
    static let destination = ClientTuple(localAddress: loopback, remoteAddress: server, remotePort: 443)

    static func counters(low: UInt16 = 40_000, high: UInt16 = 40_499, reserved: Int = 0, twReuse: Int = 0) -> NamespaceCounters {
        NamespaceCounters(ephemeralPorts: EphemeralPortRange(low: low, high: high, reserved: reserved), twReuse: twReuse)
    }

    static func clients(_ sockets: Int, timeWait: Int? = nil) -> [ClientTupleCount] {
        [ClientTupleCount(tuple: destination, sockets: sockets, timeWait: timeWait ?? sockets)]
    }

    @Test func ephemeralPortsRaisesAtTheRatioOfTheUsableRange() {
        var harness = Harness(Self.configuration())
        // 500 ports, 100 reserved: 400 usable, × 0.8 = 320.
        let counters = Self.counters(reserved: 100)
        #expect(harness.scan(clients: Self.clients(319), counters: counters) == [])
        #expect(harness.scan(clients: Self.clients(320, timeWait: 300), counters: counters) == [])
        let raisedAt = harness.now.wallClock
        let actions = harness.scan(clients: Self.clients(330, timeWait: 300), counters: counters)
        #expect(actions == [AlertAction(.raised, Alert(
            subject: .clientTuple(Self.destination), count: 330,
            limits: AlertLimits(threshold: 320, clearRatio: 0.8, sustain: 2), since: raisedAt, peak: 330,
            figures: EphemeralPortsAlertFigures(ratio: 0.8, timeWait: 300, usablePorts: 400, portRange: "40000-40499", twReuse: 0)))])
        #expect(harness.policy.clientTupleFloor(counters.ephemeralPorts) == 1)
    }

    @Test func ephemeralPortsHysteresisRemindersAndAWiderRange() {
        var harness = Harness(Self.configuration(sustain: 1, repeatInterval: 10))
        let counters = Self.counters()  // 500 usable: raised at 400, cleared below 320
        #expect(harness.policy.clientTupleFloor(counters.ephemeralPorts) == 320)
        #expect(harness.scan(clients: Self.clients(450), counters: counters).map(\.event) == [.raised])
        #expect(harness.scan(clients: Self.clients(320), counters: counters) == [])
        #expect(harness.scan(clients: Self.clients(320), counters: counters).map(\.event) == [.reminder])
        // The range is read at every scan: wider, the same sockets are far from the ratio.
        let cleared = harness.scan(clients: Self.clients(450), counters: Self.counters(low: 32_768, high: 60_999))
        #expect(cleared.map(\.event) == [.cleared])
        #expect((cleared.first?.alert.figures as? EphemeralPortsAlertFigures)?.usablePorts == 28_232)
        #expect(cleared.first?.alert.peak == 450)
    }

    @Test func ephemeralPortsOffWithRatioZeroOrUnknownRange() {
        var configuration = Self.configuration(sustain: 1)
        configuration.ephemeralPorts.ratio = 0
        var off = Harness(configuration)
        #expect(off.scan(clients: Self.clients(500), counters: Self.counters()) == [])
        #expect(off.policy.clientTupleFloor(Self.counters().ephemeralPorts) == nil)
        var unknown = Harness(Self.configuration(sustain: 1))
        #expect(unknown.scan(clients: Self.clients(500), counters: nil) == [])
        // A reload that switches it off ends an active alert.
        var harness = Harness(Self.configuration(sustain: 1))
        #expect(harness.scan(clients: Self.clients(450), counters: Self.counters()).map(\.event) == [.raised])
        harness.policy.configuration = configuration
        #expect(harness.scan(clients: Self.clients(450), counters: Self.counters()).map(\.event) == [.cleared])
    }

    // MARK: tw_overflow

    static func events(_ overflow: Int, recycled: Int = 0) -> NamespaceCounters {
        NamespaceCounters(timeWaitEvents: TimeWaitEventCounters(overflow: overflow, recycled: recycled))
    }

    @Test func twOverflowRaisesAtTheFirstIncreaseAndClearsAfterSustainQuietScans() {
        var harness = Harness(Self.configuration(sustain: 3))
        // The first reading is the baseline: a counter from before twmond started raises nothing.
        #expect(harness.scan(counters: Self.events(5_000, recycled: 7)) == [])
        #expect(harness.scan(counters: Self.events(5_000, recycled: 7)) == [])
        let raisedAt = harness.now.wallClock
        let raised = harness.scan(counters: Self.events(5_300, recycled: 9))
        #expect(raised == [AlertAction(.raised, Alert(
            subject: .namespace, count: 300,
            limits: AlertLimits(threshold: 1, clearRatio: 1, sustain: 1, clearSustain: 3), since: raisedAt, peak: 300,
            figures: TWOverflowAlertFigures(overflowSinceStart: 300, twRecycledSinceStart: 2)))])
        #expect(raised.first.map { AlertJournal.entry(for: $0, now: raisedAt).priority } == .error)
        #expect(harness.scan(counters: Self.events(5_800)) == [])
        #expect(harness.scan(counters: Self.events(5_800)) == [])
        #expect(harness.scan(counters: Self.events(5_800)) == [])
        let cleared = harness.scan(counters: Self.events(5_800))
        #expect(cleared.map(\.event) == [.cleared])
        #expect((cleared.first?.alert.figures as? TWOverflowAlertFigures)?.overflowSinceStart == 800)
        #expect(cleared.first?.alert.peak == 500)
        #expect(cleared.first?.alert.count == 0)
    }

    @Test func twOverflowRemindsWhileItGoesOnAndStartsAfreshWhenTheCounterGoesDown() {
        var harness = Harness(Self.configuration(sustain: 2, repeatInterval: 10))
        _ = harness.scan(counters: Self.events(0))
        #expect(harness.scan(counters: Self.events(10)).map(\.event) == [.raised])
        #expect(harness.scan(counters: Self.events(20)) == [])
        #expect(harness.scan(counters: Self.events(30)).map(\.event) == [.reminder])
        // A counter below the last (another namespace behind the proc root): a new baseline.
        #expect(harness.scan(counters: Self.events(3)) == [])
        let cleared = harness.scan(counters: Self.events(3))
        #expect(cleared.map(\.event) == [.cleared])
        #expect((cleared.first?.alert.figures as? TWOverflowAlertFigures)?.overflowSinceStart == 0)
    }

    @Test func twOverflowOffByConfigurationAndByReload() {
        var configuration = Self.configuration(sustain: 1)
        configuration.twOverflow.enabled = false
        var off = Harness(configuration)
        _ = off.scan(counters: Self.events(0))
        #expect(off.scan(counters: Self.events(10)) == [])
        var harness = Harness(Self.configuration(sustain: 1))
        _ = harness.scan(counters: Self.events(0))
        #expect(harness.scan(counters: Self.events(10)).map(\.event) == [.raised])
        harness.policy.configuration = configuration
        #expect(harness.scan(counters: Self.events(20)).map(\.event) == [.cleared])
    }

    // MARK: All kinds

    @Test func everyKindInOneScanComesAsOneKindOfAction() {
        var configuration = Self.configuration(sustain: 1)
        configuration.alert.twBucketsRatio = 0.5
        configuration.alert.timeWaitThreshold = 100
        configuration.closeWait.minAge = 0
        var harness = Harness(configuration)
        var counters = Self.counters()
        counters.timeWait = NamespaceTimeWait(timeWait: 400, maxBuckets: 1_000)
        counters.timeWaitEvents = TimeWaitEventCounters(overflow: 0, recycled: 0)
        #expect(harness.scan(counters: counters) == [])
        counters.timeWait = NamespaceTimeWait(timeWait: 600, maxBuckets: 1_000)
        counters.timeWaitEvents = TimeWaitEventCounters(overflow: 40, recycled: 0)
        let table = PortTable(ports: [PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 150, .closeWait: 10]))])
        let actions = harness.scan(closeWait: Self.closeWait(8080, 10), clients: Self.clients(450), counters: counters, table: table)
        #expect(actions.map(\.alert.kind) == [.timeWait, .closeWait, .ephemeralPorts, .twBuckets, .twOverflow])
        #expect(actions.allSatisfy { $0.event == .raised })
        #expect(harness.policy.activeAlerts.map(\.kind) == [.twOverflow, .twBuckets, .timeWait, .closeWait, .ephemeralPorts])
        // Every entry names its kind; the overflow is an error, the rest warnings.
        let entries = actions.map { AlertJournal.entry(for: $0, now: 0) }
        #expect(entries.map { $0.fields.first { $0.0 == "TWMON_ALERT" }?.1 } == ["time_wait", "close_wait", "ephemeral_ports", "tw_buckets", "tw_overflow"])
        #expect(entries.map(\.priority) == [.warning, .warning, .warning, .warning, .error])
        #expect(Set(entries.map { $0.fields.first { $0.0 == "MESSAGE_ID" }?.1 }).count == 5)
    }
}
