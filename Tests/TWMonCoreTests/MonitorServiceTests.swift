import Testing
@testable import TWMonCore

@Suite("Varlink service io.twmon.Monitor")
struct MonitorServiceTests {
    private let snapshot = MonitorSnapshotFixture.snapshot()

    /// The reply to `message` as text, NUL stripped (and checked).
    private func reply(_ message: String, snapshot: MonitorSnapshot? = MonitorSnapshotFixture.snapshot()) -> String? {
        guard case .send(let bytes) = MonitorService.respond(to: Array(message.utf8), snapshot: snapshot, now: MonitorSnapshotFixture.now) else {
            return nil
        }
        #expect(bytes.last == 0)
        #expect(bytes.dropLast().contains(0) == false)
        return String(decoding: bytes.dropLast(), as: UTF8.self)
    }

    private static let alert443 = #"{"kind":"time_wait","port":443,"netns":{"own":true,"name":"host"},"time_wait":6000,"threshold":5000,"clear_below":4000,"clear_ratio":0.8,"sustain":3,"peak":6100,"since":"2025-11-24T22:03:20Z","since_unix":1764021800.0,"established":2,"closes_per_second":{"10s":0.0,"60s":0.0}}"#
    private static let alert8080 = #"{"kind":"time_wait","port":8080,"netns":{"own":true,"name":"host"},"time_wait":12000,"threshold":5000,"clear_below":4000,"clear_ratio":0.8,"sustain":3,"peak":12500,"since":"2025-11-24T21:33:20Z","since_unix":1764020000.0,"established":4,"closes_per_second":{"10s":100.0,"60s":100.0},"unit":"nginx.service","cgroup":"/system.slice/nginx.service"}"#
    private static let namespaceAlert = #"{"kind":"tw_buckets","netns":{"own":true,"name":"host"},"time_wait":210000,"threshold":209716,"clear_below":167773,"clear_ratio":0.8,"sustain":3,"peak":210000,"since":"2025-11-24T22:56:40Z","since_unix":1764025000.0,"max_tw_buckets":262144,"ratio":0.8}"#
    private static let port8080 = #"{"port":8080,"listening":true,"states":{"ESTABLISHED":4,"TIME_WAIT":12000,"LISTEN":1},"ipv4":{"ESTABLISHED":4,"TIME_WAIT":12000,"LISTEN":1},"ipv6":{},"closes_per_second":{"10s":100.0,"60s":100.0},"unit":"nginx.service","cgroup":"/system.slice/nginx.service","netns":{"own":true,"name":"host"}}"#
    private static let port443 = #"{"port":443,"listening":true,"states":{"ESTABLISHED":2,"TIME_WAIT":6000,"CLOSE_WAIT":1,"LISTEN":1},"ipv4":{},"ipv6":{"ESTABLISHED":2,"TIME_WAIT":6000,"CLOSE_WAIT":1,"LISTEN":1},"closes_per_second":{"10s":0.0,"60s":0.0},"netns":{"own":true,"name":"host"}}"#
    private static let port40000 = #"{"port":40000,"listening":false,"states":{"TIME_WAIT":3},"ipv4":{"TIME_WAIT":3},"ipv6":{},"closes_per_second":{"10s":0.0,"60s":0.0},"netns":{"own":true,"name":"host"}}"#
    private static let port22 = #"{"port":22,"listening":true,"states":{"ESTABLISHED":1,"LISTEN":1},"ipv4":{"ESTABLISHED":1,"LISTEN":1},"ipv6":{},"closes_per_second":{"10s":0.0,"60s":0.0},"netns":{"own":true,"name":"host"}}"#
    private static let wholeNamespace = #""totals":{"ESTABLISHED":7,"TIME_WAIT":18003,"CLOSE_WAIT":1,"LISTEN":3},"malformed_rows":1,"port_count":4,"server_ports":3"#

    @Test func getInfo() {
        #expect(reply(#"{"method":"org.varlink.service.GetInfo"}"#, snapshot: nil)
            == #"{"parameters":{"vendor":"twmon","product":"twmond","version":"0.1.0","url":"file:///usr/share/doc/twmon/README.md","interfaces":["org.varlink.service","io.twmon.Monitor"]}}"#)
    }

    @Test(arguments: VarlinkInterfaceDescription.names)
    func getInterfaceDescription(of name: String) throws {
        let text = try #require(reply(#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"\#(name)"}}"#, snapshot: nil))
        guard case .string(let description)? = try JSONValue.parse(Array(text.utf8))["parameters"]?["description"] else {
            Issue.record("no description in \(text)")
            return
        }
        #expect(description == VarlinkInterfaceDescription.definition(of: name))
        #expect(description.contains("interface \(name)\n"))
    }

    @Test func getStatus() {
        #expect(reply(#"{"method":"io.twmon.Monitor.GetStatus","parameters":{}}"#) == """
            {"parameters":{"version":"0.1.0","uptime_seconds":3607,"scan_interval_seconds":5.0,"time_wait_threshold":5000,\
            "source":"proc","last_scan":"2025-11-24T23:05:53Z","last_scan_unix":1764025553.5,"scan_age_seconds":6,"scan_duration_ms":41.25,\
            "scan_count":42,"sockets":18014,"totals":{"ESTABLISHED":7,"TIME_WAIT":18003,"CLOSE_WAIT":1,"LISTEN":3},\
            "port_count":4,"server_ports":3,"malformed_rows":1,"namespace":{"time_wait":18003,"max_tw_buckets":262144},\
            "alerts":[\(Self.alert443),\(Self.alert8080)]}}
            """)
    }

    @Test func getStatusWithNamespaceAlertAndProblem() {
        let snapshot = MonitorSnapshotFixture.snapshot(namespaceAlert: MonitorSnapshotFixture.namespaceAlert, problem: "scan failed: EACCES")
        let text = reply(#"{"method":"io.twmon.Monitor.GetStatus"}"#, snapshot: snapshot) ?? ""
        // Every kind in `alerts`; the tw_buckets alert repeated as `namespace_alert` for older clients.
        #expect(text.hasSuffix("""
            "alerts":[\(Self.namespaceAlert),\(Self.alert443),\(Self.alert8080)],"namespace_alert":\(Self.namespaceAlert),\
            "problem":"scan failed: EACCES"}}
            """))
    }

    @Test func listPortsWholeTable() {
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts"}"#)
            == #"{"parameters":{"ports":[\#(Self.port8080),\#(Self.port443),\#(Self.port40000),\#(Self.port22)],\#(Self.wholeNamespace)}}"#)
    }

    @Test func listPortsSelection() {
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"listeningOnly":true,"limit":2}}"#)
            == #"{"parameters":{"ports":[\#(Self.port8080),\#(Self.port443)],\#(Self.wholeNamespace)}}"#)
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"state":"CLOSE_WAIT","listeningOnly":null}}"#)
            == #"{"parameters":{"ports":[\#(Self.port443)],\#(Self.wholeNamespace)}}"#)
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":0}}"#)
            == #"{"parameters":{"ports":[],\#(Self.wholeNamespace)}}"#)
    }

    /// A snapshot with two more namespaces: a container with a busier 8080 and a pod.
    private static func snapshotWithNamespaces() -> MonitorSnapshot {
        var snapshot = MonitorSnapshotFixture.snapshot()
        let docker = NetworkNamespace(
            name: "docker-3f2a9c1b7d0e", own: false, owner: CgroupOwnerParser.owner(cgroupPath: "/system.slice/docker-\(CgroupOwnerParserTests.id).scope"), key: 4026532300)
        snapshot.otherNamespaces = [
            NamespaceScan(netns: docker, table: PortTable(ports: [PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 20_000]))]), counters: nil, readAt: 0),
            NamespaceScan(netns: NetworkNamespace(name: "pod-1", own: false), table: PortTable(ports: [PortStats(port: 22, ipv4: StateCounts([.established: 1, .listen: 1]))], malformedRows: 2),
                          counters: nil, readAt: 0),
        ]
        return snapshot
    }

    /// The ports of every namespace ranked together, each with its namespace; the counts are
    /// of all of them. A port of the same number and figures in two namespaces: own first.
    @Test func listPortsOfEveryNamespace() throws {
        let text = try #require(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"listeningOnly":true}}"#, snapshot: Self.snapshotWithNamespaces()))
        let listing = try #require(try JSONValue.parse(Array(text.utf8))["parameters"]).decode(PortListing.self)
        #expect(listing.ports.map { "\($0.netns.name):\($0.stats.port)" } == ["docker-3f2a9c1b7d0e:8080", "host:8080", "host:443", "host:22", "pod-1:22"])
        #expect(listing.ports[0].netns.owner?.container?.runtime == "docker")
        #expect(listing.ports[0].netns.own == false && listing.ports[1].netns.own)
        #expect((listing.portCount, listing.serverPorts, listing.malformedRows) == (6, 5, 3))
        #expect(listing.totals[.timeWait] == 18_003 + 20_000)
        #expect(text.contains(#""netns":{"own":false,"name":"docker-3f2a9c1b7d0e","unit":"docker-"#))
    }

    /// `netns` keeps one namespace, its counts alone; a name no namespace has is an error, not
    /// an empty list that would read as a namespace without sockets.
    @Test func listPortsOfOneNamespace() {
        let snapshot = Self.snapshotWithNamespaces()
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"netns":"host"}}"#, snapshot: snapshot)
            == #"{"parameters":{"ports":[\#(Self.port8080),\#(Self.port443),\#(Self.port40000),\#(Self.port22)],\#(Self.wholeNamespace)}}"#)
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"netns":"pod-1"}}"#, snapshot: snapshot)
            == #"{"parameters":{"ports":[{"port":22,"listening":true,"states":{"ESTABLISHED":1,"LISTEN":1},"ipv4":{"ESTABLISHED":1,"LISTEN":1},"ipv6":{},"closes_per_second":{"10s":0.0,"60s":0.0},"netns":{"own":false,"name":"pod-1"}}],"totals":{"ESTABLISHED":1,"LISTEN":1},"malformed_rows":2,"port_count":1,"server_ports":1}}"#)
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"netns":"docker-gone"}}"#, snapshot: snapshot)
            == #"{"error":"io.twmon.Monitor.NamespaceNotFound","parameters":{"netns":"docker-gone"}}"#)
        guard case .call(let call) = MonitorService.parse(Array(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"netns":"pod-1"}}"#.utf8)) else {
            Issue.record("not a call")
            return
        }
        #expect(MonitorService.sharedReplyKey(for: call, now: 0) == .ports(PortQuery(netns: "pod-1")))
    }

    /// The table for people: a NAMESPACE column only when the ports shown are in more than one.
    @Test func namespaceColumnOnlyWithSeveralNamespaces() throws {
        let snapshot = Self.snapshotWithNamespaces()
        let all = try PortListing(snapshot: snapshot, listeningOnly: true)
        #expect(all.text == """
            NAMESPACE            PORT  ROLE    OWNER                TIME_WAIT  CLOSES/S 10s    60s  TOTAL  STATES
            docker-3f2a9c1b7d0e  8080  server  docker 3f2a9c1b7d0e      20000           0.0    0.0  20001  TIME_WAIT=20000 LISTEN=1
            host                 8080  server  nginx.service            12000         100.0  100.0  12005  ESTABLISHED=4 TIME_WAIT=12000 LISTEN=1
            host                 443   server  -                         6000           0.0    0.0   6004  ESTABLISHED=2 TIME_WAIT=6000 CLOSE_WAIT=1 LISTEN=1
            host                 22    server  -                            0           0.0    0.0      2  ESTABLISHED=1 LISTEN=1
            pod-1                22    server  -                            0           0.0    0.0      2  ESTABLISHED=1 LISTEN=1
            5 of 6 ports shown (5 server); 38017 sockets: ESTABLISHED=8 TIME_WAIT=38003 CLOSE_WAIT=1 LISTEN=5; 3 malformed rows

            """)
        let one = try PortListing(snapshot: snapshot, netns: "host")
        #expect(one.text.hasPrefix("PORT  "))
        #expect(one.text == PortListing(table: snapshot.table).text)
        #expect(throws: PortListing.NamespaceNotFound(netns: "nope")) { try PortListing(snapshot: snapshot, netns: "nope") }
    }

    @Test func listAlerts() {
        #expect(reply(#"{"method":"io.twmon.Monitor.ListAlerts"}"#) == """
            {"parameters":{"alerts":[\(Self.alert443),\(Self.alert8080)],"history":[\
            {"event":"cleared","kind":"time_wait","port":9000,"netns":{"own":true,"name":"host"},"time_wait":3000,"threshold":5000,"at":"2025-11-24T21:00:00Z","at_unix":1764018000.25},\
            {"event":"raised","kind":"time_wait","port":8080,"netns":{"own":true,"name":"host"},"time_wait":5200,"threshold":5000,"at":"2025-11-24T21:33:20Z","at_unix":1764020000.0},\
            {"event":"raised","kind":"time_wait","port":443,"netns":{"own":true,"name":"host"},"time_wait":5100,"threshold":5000,"at":"2025-11-24T22:03:20Z","at_unix":1764021800.0}]}}
            """)
    }

    @Test func listAlertsWithNamespaceAlert() {
        let snapshot = MonitorSnapshotFixture.snapshot(namespaceAlert: MonitorSnapshotFixture.namespaceAlert)
        let text = reply(#"{"method":"io.twmon.Monitor.ListAlerts"}"#, snapshot: snapshot) ?? ""
        #expect(text.contains(#"],"namespace_alert":\#(Self.namespaceAlert),"history":["#))
        #expect(text.hasSuffix(#"{"event":"raised","kind":"tw_buckets","netns":{"own":true,"name":"host"},"time_wait":210000,"threshold":209716,"at":"2025-11-24T22:56:40Z","at_unix":1764025000.0}]}}"#))
    }

    @Test(arguments: ["io.twmon.Monitor.GetStatus", "io.twmon.Monitor.ListPorts", "io.twmon.Monitor.ListAlerts"])
    func beforeTheFirstScanTheMonitorIsNotReady(_ method: String) {
        #expect(reply(#"{"method":"\#(method)"}"#, snapshot: nil) == #"{"error":"io.twmon.Monitor.NotReady","parameters":{}}"#)
    }

    @Test(arguments: [
        (#"{"method":"io.twmon.Monitor.Nope"}"#, #"{"error":"org.varlink.service.MethodNotFound","parameters":{"method":"io.twmon.Monitor.Nope"}}"#),
        (#"{"method":"org.varlink.service.Nope"}"#, #"{"error":"org.varlink.service.MethodNotFound","parameters":{"method":"org.varlink.service.Nope"}}"#),
        (#"{"method":"com.example.Thing.Get"}"#, #"{"error":"org.varlink.service.InterfaceNotFound","parameters":{"interface":"com.example.Thing"}}"#),
        (#"{"method":"GetStatus"}"#, #"{"error":"org.varlink.service.InterfaceNotFound","parameters":{"interface":""}}"#),
        (#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"com.example.Thing"}}"#,
         #"{"error":"org.varlink.service.InterfaceNotFound","parameters":{"interface":"com.example.Thing"}}"#),
        (#"{"method":"org.varlink.service.GetInterfaceDescription"}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"interface"}}"#),
        (#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":7}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"interface"}}"#),
        (#"{"method":"org.varlink.service.GetInfo","parameters":{"verbose":true}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"verbose"}}"#),
        (#"{"method":"io.twmon.Monitor.GetStatus","parameters":{"x":1}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"x"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":-1}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"limit"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":2.5}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"limit"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":"3"}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"limit"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"listeningOnly":1}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"listeningOnly"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"state":6}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"state"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"netns":1}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"netns"}}"#),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"state":"BOGUS"}}"#,
         #"{"error":"io.twmon.Monitor.InvalidState","parameters":{"state":"BOGUS","expected":["ESTABLISHED","SYN_SENT","SYN_RECV","FIN_WAIT1","FIN_WAIT2","TIME_WAIT","CLOSE","CLOSE_WAIT","LAST_ACK","LISTEN","CLOSING","NEW_SYN_RECV"]}}"#),
        (#"{"method":5}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"method"}}"#),
        (#"{"parameters":{}}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"method"}}"#),
        (#"{"method":"io.twmon.Monitor.GetStatus","parameters":[]}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"parameters"}}"#),
        (#"{"method":"io.twmon.Monitor.GetStatus","oneway":"yes"}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"oneway"}}"#),
        (#"{"method":"io.twmon.Monitor.GetStatus","more":1}"#, #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"more"}}"#),
    ])
    func errorReplies(_ call: String, _ expected: String) {
        #expect(reply(call) == expected)
    }

    private static func invalid(_ parameter: String) -> String {
        #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"\#(parameter)"}}"#
    }

    /// Numbers beyond any range, keys given twice, a state name in another case and a request
    /// for a protocol upgrade: each gets an error reply and the connection stays usable
    /// (issue 10, E).
    @Test(arguments: [
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":1e999}}"#, invalid("limit")),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":-1e999}}"#, invalid("limit")),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":\#(String(repeating: "9", count: 60_000))}}"#, invalid("limit")),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":9223372036854775808}}"#, invalid("limit")),
        (#"{"method":"io.twmon.Monitor.GetStatus","parameters":{"x":1e999}}"#, invalid("x")),
        (#"{"method":"io.twmon.Monitor.GetStatus","oneway":1e999}"#, invalid("oneway")),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":1,"limit":2}}"#, invalid("limit")),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"state":"LISTEN","limit":1,"state":"TIME_WAIT"}}"#, invalid("state")),
        (#"{"method":"io.twmon.Monitor.GetStatus","method":"io.twmon.Monitor.ListPorts"}"#, invalid("method")),
        (#"{"method":"io.twmon.Monitor.GetStatus","oneway":false,"oneway":true}"#, invalid("oneway")),
        (#"{"method":"io.twmon.Monitor.GetStatus","upgrade":true}"#, invalid("upgrade")),
        (#"{"method":"org.varlink.service.GetInfo","upgrade":true}"#, invalid("upgrade")),
        (#"{"method":"io.twmon.Monitor.GetStatus","upgrade":"yes"}"#, invalid("upgrade")),
        (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"state":"time_wait"}}"#,
         #"{"error":"io.twmon.Monitor.InvalidState","parameters":{"state":"time_wait","expected":["ESTABLISHED","SYN_SENT","SYN_RECV","FIN_WAIT1","FIN_WAIT2","TIME_WAIT","CLOSE","CLOSE_WAIT","LAST_ACK","LISTEN","CLOSING","NEW_SYN_RECV"]}}"#),
    ])
    func hostileCallsGetErrorReplies(_ call: String, _ expected: String) {
        #expect(reply(call) == expected)
    }

    /// `upgrade: false` is an ordinary call.
    @Test func upgradeFalseIsAnOrdinaryCall() {
        #expect(reply(#"{"method":"io.twmon.Monitor.ListAlerts","upgrade":false}"#) == reply(#"{"method":"io.twmon.Monitor.ListAlerts"}"#))
    }

    /// A server answers shareable calls from one encoded reply per snapshot; a call asking for
    /// an upgrade must not get that reply but its own refusal.
    @Test func upgradeCallsAreNeverShared() throws {
        for method in ["GetStatus", "ListAlerts", "ListPorts"] {
            let plain = try VarlinkCall(message: Array(#"{"method":"io.twmon.Monitor.\#(method)"}"#.utf8))
            let upgrading = try VarlinkCall(message: Array(#"{"method":"io.twmon.Monitor.\#(method)","upgrade":true}"#.utf8))
            #expect(MonitorService.sharedReplyKey(for: plain, now: 100) != nil)
            #expect(MonitorService.sharedReplyKey(for: upgrading, now: 100) == nil)
        }
    }

    @Test func invalidStateIsCheckedBeforeReadiness() {
        #expect(reply(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":-1}}"#, snapshot: nil)
            == #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"limit"}}"#)
    }

    @Test func onewayCallsGetNoReply() {
        let response = MonitorService.respond(to: Array(#"{"method":"io.twmon.Monitor.GetStatus","oneway":true}"#.utf8), snapshot: snapshot, now: 0)
        #expect(response == .none)
        let failing = MonitorService.respond(to: Array(#"{"method":"x.Nope","oneway":true}"#.utf8), snapshot: snapshot, now: 0)
        #expect(failing == .none)
    }

    @Test func moreGetsTheSingleReply() {
        #expect(reply(#"{"method":"io.twmon.Monitor.ListAlerts","more":true}"#) == reply(#"{"method":"io.twmon.Monitor.ListAlerts"}"#))
    }

    @Test func callsEncodeAndDecode() throws {
        let call = VarlinkCall(method: "io.twmon.Monitor.ListPorts", parameters: [("limit", .integer(3))], oneway: true)
        #expect(String(decoding: call.message, as: UTF8.self) == #"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":3},"oneway":true}"#)
        let decoded = try VarlinkCall(message: call.message)
        #expect(decoded.method == call.method && decoded.oneway && !decoded.more && decoded.parameter("limit") == .integer(3))
        #expect(decoded.interface == "io.twmon.Monitor")
    }

    @Test(arguments: ["", "hello", "[1,2]", "\"GetStatus\"", "{\"method\":", "\u{FF}"])
    func messagesThatAreNoCallEndTheConnection(_ message: String) {
        let response = MonitorService.respond(to: Array(message.utf8), snapshot: snapshot, now: 0)
        guard case .disconnect = response else {
            Issue.record("expected a disconnect, got \(response)")
            return
        }
    }

    /// What twmond writes, twmonctl reads back unchanged.
    @Test func repliesReadBackIntoTheSameValues() throws {
        let snapshot = MonitorSnapshotFixture.snapshot(namespaceAlert: MonitorSnapshotFixture.namespaceAlert, problem: "p")
        func parameters(_ method: String) throws -> JSONValue {
            let text = try #require(reply(#"{"method":"\#(method)"}"#, snapshot: snapshot))
            return try #require(try JSONValue.parse(Array(text.utf8))["parameters"])
        }
        #expect(try parameters("io.twmon.Monitor.GetStatus").decode(MonitorStatus.self) == MonitorStatus(snapshot: snapshot, now: MonitorSnapshotFixture.now))
        #expect(try parameters("io.twmon.Monitor.ListPorts").decode(PortListing.self) == PortListing(table: snapshot.table))
        #expect(try parameters("io.twmon.Monitor.ListAlerts").decode(AlertListing.self) == AlertListing(snapshot: snapshot))
    }

    /// Alerts of every kind, with every figure, survive the trip through a reply.
    @Test func everyKindReadsBackIntoTheSameAlert() throws {
        var snapshot = MonitorSnapshotFixture.snapshot(namespaceAlert: MonitorSnapshotFixture.namespaceAlert)
        let limits = AlertLimits(threshold: 400, clearRatio: 0.8, sustain: 2)
        let tuple = ClientTuple(localAddress: IPAddress(text: "2001:db8::1")!, remoteAddress: IPAddress(text: "2001:db8::2")!, remotePort: 443)
        snapshot.alerts += [
            Alert(subject: .port(8080), count: 200, limits: limits, since: 1_764_025_000, peak: 210,
                  figures: CloseWaitAlertFigures(oldestAgeSeconds: 95, minAgeSeconds: 60, owner: PortOwner(cgroup: "/system.slice/api.service", unit: "api.service"))),
            Alert(subject: .clientTuple(tuple), count: 450, limits: limits, since: 1_764_025_000, peak: 450,
                  figures: EphemeralPortsAlertFigures(ratio: 0.8, timeWait: 440, usablePorts: 500, portRange: "40000-40499", twReuse: 0)),
            Alert(subject: .namespace, count: 0, limits: AlertLimits(threshold: 1, clearRatio: 1, sustain: 1, clearSustain: 3),
                  since: 1_764_025_000, peak: 500, figures: TWOverflowAlertFigures(overflowSinceStart: 800, twRecycledSinceStart: 2)),
        ]
        snapshot.history.append(AlertEventRecord(event: .raised, kind: .ephemeralPorts, subject: .clientTuple(tuple), count: 450, threshold: 400, at: 1_764_025_000))
        snapshot.namespace = NamespaceCounters(
            timeWait: NamespaceTimeWait(timeWait: 200, maxBuckets: 200), ephemeralPorts: EphemeralPortRange(low: 40_000, high: 40_499, reserved: 3),
            twReuse: 2, timeWaitEvents: TimeWaitEventCounters(overflow: 800, recycled: 2))
        func parameters(_ method: String) throws -> JSONValue {
            let text = try #require(reply(#"{"method":"\#(method)"}"#, snapshot: snapshot))
            return try #require(try JSONValue.parse(Array(text.utf8))["parameters"])
        }
        #expect(try parameters("io.twmon.Monitor.GetStatus").decode(MonitorStatus.self) == MonitorStatus(snapshot: snapshot, now: MonitorSnapshotFixture.now))
        #expect(try parameters("io.twmon.Monitor.ListAlerts").decode(AlertListing.self) == AlertListing(snapshot: snapshot))
        let text = try #require(reply(#"{"method":"io.twmon.Monitor.ListAlerts"}"#, snapshot: snapshot))
        #expect(text.contains(#"{"kind":"ephemeral_ports","local_address":"2001:db8::1","remote_address":"2001:db8::2","remote_port":443,"netns":{"own":true,"name":"host"},"sockets":450,"#))
        #expect(text.contains(#""oldest_age_seconds":95,"min_age":60.0,"unit":"api.service","cgroup":"/system.slice/api.service"}"#))
    }
}
