import Testing
@testable import TWMonCore

/// The alert policy across network namespaces: each namespace's subjects are tracked apart,
/// a namespace that is gone clears its alerts with that reason and leaves no state, and
/// `[namespaces."PATTERN"]` overrides apply to the namespaces they match.
@Suite("Alerts in several network namespaces")
struct AlertNamespaceTests {
    static let docker = NetworkNamespace(
        name: "docker-3f2a9c1b7d0e", own: false,
        owner: PortOwner(cgroup: "/system.slice/docker-3f2a9c1b7d0e" + String(repeating: "a", count: 52) + ".scope", unit: "docker-x.scope",
                         container: PortOwner.Container(runtime: "docker", id: "3f2a9c1b7d0e" + String(repeating: "a", count: 52))),
        key: 4026532001)
    static let unit = NetworkNamespace(name: "demo-private.service", own: false,
                                       owner: PortOwner(cgroup: "/system.slice/demo-private.service", unit: "demo-private.service"), key: 4026532002)

    var now = Moment(monotonic: .seconds(1_000), wallClock: 1_700_000_000)
    var policy: AlertPolicy

    init() {
        var configuration = Configuration()
        configuration.alert.timeWaitThreshold = 100
        configuration.alert.sustain = 2
        configuration.alert.repeatInterval = 0
        configuration.alert.twBucketsRatio = 0
        policy = AlertPolicy(configuration: configuration)
    }

    static func findings(_ netns: NetworkNamespace, timeWait: Int, port: UInt16 = 8080) -> ScanFindings {
        ScanFindings(table: PortTable(ports: [PortStats(port: port, ipv4: StateCounts([.listen: 1, .timeWait: timeWait]))]), netns: netns)
    }

    mutating func scan(_ scans: [ScanFindings]) -> [AlertAction] {
        defer { now = now.advanced(bySeconds: 5) }
        return policy.evaluate(scans, now: now)
    }

    @Test mutating func theSamePortInTwoNamespacesIsTwoSubjects() {
        let scans = [Self.findings(.ownHost, timeWait: 50), Self.findings(Self.docker, timeWait: 500), Self.findings(Self.unit, timeWait: 150)]
        #expect(scan(scans).isEmpty)
        let raised = scan(scans)
        #expect(raised.map(\.event) == [.raised, .raised])
        #expect(Set(raised.map(\.alert.netns.name)) == ["docker-3f2a9c1b7d0e", "demo-private.service"])
        #expect(policy.activeAlerts.allSatisfy { $0.port == 8080 && !$0.netns.own })
        #expect(policy.portsNearAlert(in: "host") == [])
        #expect(policy.portsNearAlert(in: "docker-3f2a9c1b7d0e") == [8080])
        let docker = raised.first { $0.alert.netns == Self.docker }!
        #expect(AlertJournal.message(docker, now: now.wallClock).hasPrefix("port 8080 in docker 3f2a9c1b7d0e: 500 sockets in TIME_WAIT"))
        let fields = AlertJournal.entry(for: docker, now: now.wallClock).fields
        #expect(fields.contains { $0 == ("TWMON_NETNS", "docker-3f2a9c1b7d0e") })
        #expect(fields.contains { $0 == ("TWMON_CONTAINER_RUNTIME", "docker") })
    }

    @Test mutating func aNamespaceThatIsGoneClearsItsAlertsAndLeavesNoState() {
        let both = [Self.findings(.ownHost, timeWait: 0), Self.findings(Self.docker, timeWait: 500)]
        _ = scan(both)
        #expect(scan(both).map(\.event) == [.raised])
        let cleared = scan([Self.findings(.ownHost, timeWait: 0)])
        #expect(cleared.map(\.event) == [.cleared])
        #expect(cleared.first?.reason == .namespaceGone)
        #expect(cleared.first?.alert.netns == Self.docker)
        let entry = AlertJournal.entry(for: cleared[0], now: now.wallClock)
        #expect(entry.message.hasPrefix("port 8080 in docker 3f2a9c1b7d0e: namespace gone; time_wait alert cleared after"))
        #expect(entry.fields.contains { $0 == ("TWMON_CLEAR_REASON", "namespace_gone") })
        #expect(policy.activeAlerts.isEmpty)
        // Nothing of the namespace is left: it coming back starts from scratch (sustain again).
        #expect(scan(both).isEmpty)
        #expect(scan(both).map(\.event) == [.raised])
    }

    @Test mutating func churnOfNamespacesLeavesNoTrackers() {
        for index in 0..<2_000 {
            let netns = NetworkNamespace(name: "netns-\(index)", own: false, key: UInt64(index))
            _ = scan([Self.findings(.ownHost, timeWait: 0), Self.findings(netns, timeWait: 90)])
        }
        _ = scan([Self.findings(.ownHost, timeWait: 0)])
        #expect(policy.trackedCount == 0)
    }

    @Test mutating func aNamespacePatternOverridesTheThresholdOfItsPorts() throws {
        let configuration = try ConfigurationParser.parse("""
            [alert]
            time_wait_threshold = 100
            sustain = 1
            [namespaces."docker-*"]
            time_wait_threshold = 1000
            [namespaces."docker-3f2a*"]
            ignore = true
            [namespaces."demo-*"]
            time_wait_threshold = 120
            [ports.8080]
            sustain = 1
            """, path: "test.toml")
        #expect(configuration.namespaces.map(\.pattern) == ["docker-3f2a*", "docker-*", "demo-*"])
        #expect(configuration.limits(for: 8080, in: "docker-3f2a9c1b7d0e") == nil)
        #expect(configuration.limits(for: 8080, in: "docker-000000000000")?.threshold == 1000)
        #expect(configuration.limits(for: 8080, in: "demo-private.service")?.threshold == 120)
        #expect(configuration.limits(for: 8080, in: "host")?.threshold == 100)
        #expect(configuration.lowestThreshold == 100)
        let again = try ConfigurationParser.parse(ConfigurationRenderer.toml(configuration), path: "rendered.toml")
        #expect(again == configuration)
        policy.configuration = configuration
        let actions = scan([Self.findings(.ownHost, timeWait: 0), Self.findings(Self.docker, timeWait: 5000), Self.findings(Self.unit, timeWait: 121)])
        #expect(actions.map(\.alert.netns.name) == ["demo-private.service"])
    }

    @Test func patternsMatchWholeNames() {
        #expect(NamePattern.matches("docker-*", "docker-3f2a9c1b7d0e"))
        #expect(NamePattern.matches("*", ""))
        #expect(NamePattern.matches("pod-?bc*", "pod-abcdef"))
        #expect(!NamePattern.matches("docker-*", "podman-3f2a"))
        #expect(!NamePattern.matches("host", "hostile"))
        #expect(NamePattern.matches("*a*b*c", "xxaxxbxxbxc"))
        #expect(NamePattern.problem(with: "") != nil)
        #expect(NamePattern.problem(with: "a\u{1b}b") != nil)
        #expect(NamePattern.problem(with: String(repeating: "*", count: 256)) != nil)
    }
}
