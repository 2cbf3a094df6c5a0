import Testing
@testable import TWMonCore

/// Numbers from the kernel, a file or a user are range-checked, and what is computed from them
/// never traps (issue 10, D).
@Suite("Arithmetic bounds")
struct ArithmeticBoundsTests {
    /// Kernel counts: digits only, 0 ... 2³¹−1.
    @Test(arguments: [
        ("0", 0), ("3", 3), ("262144\n", 262_144), (" 42 ", 42), ("2147483647", 2_147_483_647),
        ("2147483648", nil), ("9223372036854775807", nil), ("99999999999999999999999", nil),
        ("-1", nil), ("+5", nil), ("", nil), ("\n", nil), ("1 2", nil), ("0x10", nil), ("12a", nil), ("٣", nil),
    ] as [(String, Int?)])
    func kernelCounts(text: String, expected: Int?) {
        let parsed = try? KernelCount.parse(text[...], source: "test")
        #expect(parsed == expected)
        if expected == nil {
            #expect(throws: KernelValueError.self) { try KernelCount.parse(text[...], source: "test") }
        }
    }

    @Test func sockstatTimeWait() throws {
        let line = "sockets: used 5\nTCP: inuse 5 orphan 0 tw %@ alloc 6 mem 1\nUDP: inuse 0 mem 0\n"
        #expect(try SockstatParser.timeWait(in: line.replacingPlaceholder("3")) == 3)
        #expect(try SockstatParser.timeWait(in: "sockets: used 5\n") == nil)
        for nonsense in ["9223372036854775807", "-5", "x"] {
            #expect(throws: KernelValueError(source: "/proc/net/sockstat: tw", text: nonsense)) {
                try SockstatParser.timeWait(in: line.replacingPlaceholder(nonsense), source: "/proc/net/sockstat")
            }
        }
        let error = KernelValueError(source: "/proc/net/sockstat: tw", text: "9223372036854775807")
        #expect(error.description == "/proc/net/sockstat: tw is \"9223372036854775807\", not a count from 0 to 2147483647")
    }

    /// A ratio of a count beyond Int's range is Int.max, not a trap; ordinary values unchanged.
    @Test(arguments: [
        (5_000, 0.81, 4_050), (262_144, 0.8, 209_716), (Int.max, 1.0, Int.max), (Int.max / 2, 3.0, Int.max), (7, 0, 0),
    ])
    func wholeCeilingNeverTraps(count: Int, share: Double, expected: Int) {
        #expect(wholeCeiling(count, times: share) == expected)
    }

    /// The largest limit the kernel can have, with a ratio of 1: a threshold, no trap.
    @Test func namespaceAlertAtTheLargestLimit() {
        var configuration = Configuration()
        configuration.alert.twBucketsRatio = 1.0
        configuration.alert.sustain = 1
        var policy = AlertPolicy(configuration: configuration)
        let full = NamespaceTimeWait(timeWait: Int(Int32.max), maxBuckets: Int(Int32.max))
        let actions = policy.evaluate(ScanFindings(table: PortTable(), counters: NamespaceCounters(timeWait: full)), now: Moment(monotonic: .seconds(1), wallClock: 1))
        guard let alert = actions.first.flatMap({ $0.event == .raised && $0.alert.kind == .twBuckets ? $0.alert : nil }) else {
            Issue.record("expected a namespace alert, got \(actions)")
            return
        }
        #expect(alert.limits.threshold == Int(Int32.max))
        #expect(AlertJournal.entry(for: actions[0], now: 1).message.contains(", 100% of net.ipv4.tcp_max_tw_buckets=2147483647"))
    }

    /// The journal's percentage of any figures, however large, is text and never a trap.
    @Test(arguments: [
        (900, 1_000, "90%"), (Int.max, 1, "?"), (Int.max, 262_144, "3518437208883199%"), (Int.max, Int.max, "100%"),
        (5, 0, "?"), (-1, 10, "?"),
    ])
    func namespacePercentage(timeWait: Int, maxBuckets: Int, expected: String) {
        let alert = Alert.twBuckets(timeWait: timeWait, maxBuckets: maxBuckets, ratio: 0.8, threshold: 1, since: 0)
        let message = AlertJournal.entry(for: AlertAction(.raised, alert), now: 0).message
        #expect(message.contains(", \(expected) of net.ipv4.tcp_max_tw_buckets="))
    }

    /// `twmonctl check --warning 4611686018427387904`: the default critical level saturates.
    @Test func checkLevelsSaturate() {
        #expect(MonitoringCheck.criticalLevel(4_611_686_018_427_387_904) == Int.max)
        #expect(MonitoringCheck.criticalLevel(5_000) == 10_000)
        let status = MonitorStatus(snapshot: MonitorSnapshotFixture.snapshot(), now: MonitorSnapshotFixture.now)
        let (state, output) = MonitoringCheck(warning: 4_611_686_018_427_387_904)
            .evaluate(status, busiestServerPort: MonitorSnapshotFixture.table[port: 8080])
        #expect(state == .ok)
        #expect(output.contains("port_time_wait=12000;4611686018427387904;\(Int.max);0"))
    }
}

private extension String {
    func replacingPlaceholder(_ value: String) -> String {
        split(separator: "%@", omittingEmptySubsequences: false).joined(separator: value)
    }
}
