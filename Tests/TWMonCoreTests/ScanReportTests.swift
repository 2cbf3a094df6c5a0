import Testing
@testable import TWMonCore

@Suite("twmonctl scan output")
struct ScanReportTests {
    private let table: PortTable = {
        var server = PortStats(port: 8080, ipv4: StateCounts([.timeWait: 120_000, .listen: 1]))
        server.recentCloses = RecentCloses(last10Seconds: 20_000, last60Seconds: 120_000)
        server.owner = CgroupOwnerParser.owner(cgroupPath: "/system.slice/nginx.service")
        return PortTable(ports: [server, PortStats(port: 41000, ipv6: StateCounts([.established: 1]))], malformedRows: 2)
    }()

    @Test func jsonHasTheDocumentedShape() {
        var json = JSONWriter()
        PortListing(table: table).write(into: &json)
        #expect(json.string == #"{"ports":[{"port":8080,"listening":true,"states":{"TIME_WAIT":120000,"LISTEN":1},"ipv4":{"TIME_WAIT":120000,"LISTEN":1},"ipv6":{},"closes_per_second":{"10s":2000.0,"60s":2000.0},"unit":"nginx.service","cgroup":"/system.slice/nginx.service","netns":{"own":true,"name":"host"}},{"port":41000,"listening":false,"states":{"ESTABLISHED":1},"ipv4":{},"ipv6":{"ESTABLISHED":1},"closes_per_second":{"10s":0.0,"60s":0.0},"netns":{"own":true,"name":"host"}}],"totals":{"ESTABLISHED":1,"TIME_WAIT":120000,"LISTEN":1},"malformed_rows":2,"port_count":2,"server_ports":1}"#)
    }

    @Test func textTableHasRolesStatesAndSummary() {
        let text = PortListing(table: table).text
        #expect(text == """
            PORT   ROLE    OWNER          TIME_WAIT  CLOSES/S 10s     60s   TOTAL  STATES
            8080   server  nginx.service     120000        2000.0  2000.0  120001  TIME_WAIT=120000 LISTEN=1
            41000  client  -                      0           0.0     0.0       1  ESTABLISHED=1
            2 of 2 ports shown (1 server); 120002 sockets: ESTABLISHED=1 TIME_WAIT=120000 LISTEN=1; 2 malformed rows

            """)
    }

    @Test func portsReadBackWithOwnerAndRates() throws {
        var server = PortStats(port: 8080, ipv4: StateCounts([.timeWait: 600, .listen: 1]))
        server.recentCloses = RecentCloses(last10Seconds: 100, last60Seconds: 600)
        server.owner = CgroupOwnerParser.owner(
            cgroupPath: "/kubepods.slice/kubepods-pod0a1b2c3d_0000_4000_8000_123456789abc.slice/cri-containerd-\(CgroupOwnerParserTests.id).scope")
        for stats in [server, PortStats(port: 41000, ipv6: StateCounts([.established: 1]))] {
            var json = JSONWriter()
            ScanReport.writePort(stats, netns: .ownHost, into: &json)
            #expect(try JSONValue.parse(Array(json.string.utf8)).decode(PortListing.Entry.self) == PortListing.Entry(netns: .ownHost, stats: stats))
        }
    }

    @Test func jsonEscapesStrings() {
        var json = JSONWriter()
        json.beginObject()
        json.member("m", "a\"b\\c\nd\u{1}")
        json.endObject()
        #expect(json.string == #"{"m":"a\"b\\c\nd\u0001"}"#)
    }
}
