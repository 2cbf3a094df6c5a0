import Testing
@testable import TWMonCore

@Suite("twmonctl scan output")
struct ScanReportTests {
    private let table = PortTable(ports: [
        PortStats(port: 8080, ipv4: StateCounts([.timeWait: 120_000, .listen: 1])),
        PortStats(port: 41000, ipv6: StateCounts([.established: 1])),
    ], malformedRows: 2)

    @Test func jsonHasTheDocumentedShape() {
        let json = ScanReport.json(table, ports: table.ranked())
        #expect(json == #"{"ports":[{"port":8080,"listening":true,"states":{"TIME_WAIT":120000,"LISTEN":1},"ipv4":{"TIME_WAIT":120000,"LISTEN":1},"ipv6":{}},{"port":41000,"listening":false,"states":{"ESTABLISHED":1},"ipv4":{},"ipv6":{"ESTABLISHED":1}}],"totals":{"ESTABLISHED":1,"TIME_WAIT":120000,"LISTEN":1},"malformed_rows":2}"#)
    }

    @Test func textTableHasRolesStatesAndSummary() {
        let text = ScanReport.text(table, ports: table.ranked())
        #expect(text == """
            PORT   ROLE    TIME_WAIT   TOTAL  STATES
            8080   server     120000  120001  TIME_WAIT=120000 LISTEN=1
            41000  client          0       1  ESTABLISHED=1
            2 of 2 ports shown (1 server); 120002 sockets: ESTABLISHED=1 TIME_WAIT=120000 LISTEN=1; 2 malformed rows

            """)
    }

    @Test func jsonEscapesStrings() {
        var json = JSONWriter()
        json.beginObject()
        json.member("m", "a\"b\\c\nd\u{1}")
        json.endObject()
        #expect(json.string == #"{"m":"a\"b\\c\nd\u0001"}"#)
    }
}
