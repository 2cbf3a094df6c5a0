import Testing
@testable import TWMonCore

@Suite("Parsing /proc/net/tcp and tcp6")
struct ProcNetTCPParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var fixture: String
        var family: AddressFamily
        var rows: Int
        var malformed: Int
        var testDescription: String { fixture }
    }

    /// Captured in a private network namespace with `twmon-loadgen` load (see Fixtures/ss.txt,
    /// taken at the same moment), plus a hand-damaged copy of the IPv4 table.
    @Test(arguments: [
        Case(fixture: "tcp-ipv4.txt", family: .ipv4, rows: 11, malformed: 0),
        Case(fixture: "tcp6-ipv6.txt", family: .ipv6, rows: 6, malformed: 0),
        Case(fixture: "tcp6-mapped.txt", family: .ipv6, rows: 3, malformed: 0),
        Case(fixture: "tcp6-mixed.txt", family: .ipv6, rows: 9, malformed: 0),
        Case(fixture: "header-only.txt", family: .ipv4, rows: 0, malformed: 0),
        Case(fixture: "tcp-malformed.txt", family: .ipv4, rows: 3, malformed: 8),
    ])
    func rowAndMalformedCounts(_ testCase: Case) throws {
        let parsed = ProcNetTCPParser.records(in: try Fixture.bytes(testCase.fixture), family: testCase.family)
        #expect(parsed.records.count == testCase.rows)
        #expect(parsed.malformedRows == testCase.malformed)
    }

    /// The same address as kernels of both byte orders print it, decoded with the order given:
    /// independent of the order of the machine running the test.
    @Test(arguments: [
        ("0100007F", AddressFamily.ipv4, ByteOrder.littleEndian, "127.0.0.1"),
        ("7F000001", .ipv4, .bigEndian, "127.0.0.1"),
        ("0100007F", .ipv4, .bigEndian, "1.0.0.127"),
        ("B80D0120000000000000000007000000", .ipv6, .littleEndian, "2001:db8::7"),
        ("20010DB8000000000000000000000007", .ipv6, .bigEndian, "2001:db8::7"),
        ("0000000000000000FFFF00000100007F", .ipv6, .littleEndian, "::ffff:127.0.0.1"),
        ("00000000000000000000FFFF7F000001", .ipv6, .bigEndian, "::ffff:127.0.0.1"),
        ("00000000000000000000000001000000", .ipv6, .littleEndian, "::1"),
        ("00000000000000000000000000000001", .ipv6, .bigEndian, "::1"),
    ])
    func decodesAddressesInEitherByteOrder(text: String, family: AddressFamily, order: ByteOrder, expected: String) {
        let bytes = Array(text.utf8)
        let address = bytes.withUnsafeBufferPointer { ProcNetTCPParser.address($0.baseAddress!, family: family, byteOrder: order) }
        #expect(address.description == expected)
        #expect(address.family == family)
    }

    @Test func decodesIPv4AddressesPortsAndState() throws {
        let records = ProcNetTCPParser.records(in: try Fixture.bytes("tcp-ipv4.txt"), family: .ipv4).records
        #expect(records[0].local.description == "127.0.0.1:8080")
        #expect(records[0].remote.description == "0.0.0.0:0")
        #expect(records[0].state == .listen)
        #expect(records[1].remote.description == "127.0.0.1:56160")
        #expect(records[1].state == .established)
    }

    @Test func decodesIPv6AndIPv4MappedAddresses() throws {
        let records = ProcNetTCPParser.records(in: try Fixture.bytes("tcp6-mixed.txt"), family: .ipv6).records
        #expect(records[0].local.description == "[::]:9000")
        #expect(records[0].state == .listen)
        #expect(records[1].local.description == "[::1]:8443")
        #expect(records[2].local.description == "[::ffff:127.0.0.1]:9000")
        #expect(records[2].local.address.isIPv4Mapped)
        #expect(records[2].remote.address.unmapped.description == "127.0.0.1")
        #expect(records[3].state == .timeWait)
    }

    /// The parsed tables hold exactly the sockets `ss -tanH` listed at the same moment.
    @Test func agreesWithSSCapturedAtTheSameMoment() throws {
        var parsed: [String] = []
        for (name, family) in [("tcp-ipv4.txt", AddressFamily.ipv4), ("tcp6-mixed.txt", .ipv6)] {
            for record in ProcNetTCPParser.records(in: try Fixture.bytes(name), family: family).records {
                parsed.append("\(record.state.name) \(record.local) \(record.remote)")
            }
        }
        var listed: [String] = []
        for line in try Fixture.text("ss.txt").split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            let state = ssStateNames[String(columns[0])]!
            listed.append("\(state) \(ssEndpoint(columns[3], listener: state == "LISTEN")) \(ssEndpoint(columns[4], listener: state == "LISTEN"))")
        }
        #expect(parsed.sorted() == listed.sorted())
    }

    @Test func emptyInputIsAnEmptyTable() {
        let parsed = ProcNetTCPParser.records(in: [UInt8](), family: .ipv4)
        #expect(parsed.records.isEmpty && parsed.malformedRows == 0)
    }

    @Test func lastRowWithoutNewlineAndColumnsAfterStateAreIrrelevant() {
        let text = "  sl  local_address rem_address   st\n   0: 0100007F:1F90 0100007F:DB60 06"
        let parsed = ProcNetTCPParser.records(in: Array(text.utf8), family: .ipv4)
        #expect(parsed.records.count == 1 && parsed.records[0].state == .timeWait && parsed.malformedRows == 0)
    }

    @Test(arguments: [
        "   0: 0100007F:1F90 0100007F:DB60 06X",  // state column runs on
        "   0: 0100007F:1F90 0100007F:DB60 6",  // one-digit state
        "   0: 0100007F:1F90 0100007F:DB60",  // no state
        "   0: 0100007F:1F90",  // truncated after local address
        "0100007F:1F90 0100007F:DB60 06 0",  // no slot column
        "   0: 00000000000000000000000001000000:20FB 00000000000000000000000001000000:9950 06",  // IPv6 row in the IPv4 table
        "   0: 0100007F:1F90 0100007F:DB60 FF 0",  // not a TCP state
    ])
    func malformedRowIsCountedNotParsed(_ row: String) {
        let parsed = ProcNetTCPParser.records(in: Array(row.utf8), family: .ipv4)
        #expect(parsed.records.isEmpty)
        #expect(parsed.malformedRows == 1)
    }

    private let ssStateNames = [
        "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
        "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT",
        "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
    ]

    /// `ss` prints wildcard listeners as `*:9000`, `0.0.0.0:*`, `[::]:*`; the parser prints numbers.
    private func ssEndpoint(_ text: Substring, listener: Bool) -> String {
        var endpoint = String(text)
        if endpoint.hasSuffix(":*") { endpoint = String(endpoint.dropLast()) + "0" }
        if endpoint.hasPrefix("*:") { endpoint = "[::]" + endpoint.dropFirst() }
        return endpoint
    }
}
