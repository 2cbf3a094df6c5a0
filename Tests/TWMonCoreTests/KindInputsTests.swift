import Testing
@testable import TWMonCore

/// What the new alert kinds read: the inode column of /proc rows, client destinations counted
/// while rows are parsed, ages of CLOSE_WAIT sockets, /proc/net/netstat's TcpExt counters, the
/// ephemeral port range, and addresses read back from JSON.
@Suite("Inputs of close_wait, ephemeral_ports and tw_overflow")
struct KindInputsTests {
    @Test func inodeColumnIsReadOnlyWhenAsked() throws {
        let bytes = try Fixture.bytes("tcp-ipv4.txt")
        var inodes: [TCPState: [UInt64]] = [:]
        _ = Array(bytes).withUnsafeBytes { buffer in
            let end = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + buffer.count
            ProcNetTCPParser.forEachRow(in: buffer, family: .ipv4) { inodes[$0.state, default: []].append($0.inode(bufferEnd: end)) }
        }
        // The fixture's CLOSE_WAIT row: inode 18405; its LISTEN row 18393; TIME_WAIT rows have 0.
        #expect(inodes[.closeWait] == [18_405])
        #expect(inodes[.listen] == [18_393])
        #expect(inodes[.timeWait]?.allSatisfy { $0 == 0 } == true)
    }

    @Test(arguments: [
        ("   0: 0100007F:1F90 0100007F:DB70 08 00000000:00000001 00:00000000 00000000     0        0 4294967296 1 0\n", UInt64(4_294_967_296)),
        ("   0: 0100007F:1F90 0100007F:DB70 08 00000000:00000001 00:00000000 00000000     0        0\n", 0),
        ("   0: 0100007F:1F90 0100007F:DB70 08 00000000:00000001 00:00000000 00000000     0        0 x12\n", 0),
        ("   0: 0100007F:1F90 0100007F:DB70 08 00000000:00000001 00:00000000 00000000     0        0 99999999999999999999\n", 0),
    ] as [(String, UInt64)])
    func inodeOfOddRows(row: String, inode: UInt64) {
        var found: [UInt64] = []
        _ = Array(row.utf8).withUnsafeBytes { buffer in
            let end = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + buffer.count
            ProcNetTCPParser.forEachRow(in: buffer, family: .ipv4, startsFile: false) { found.append($0.inode(bufferEnd: end)) }
        }
        #expect(found == [inode])
    }

    /// Rows for: a listener on 40100 (inside the range), its accepted socket, three client
    /// sockets from 127.0.0.1 to 10.0.0.5:443 (two TIME_WAIT), one to :80, a port outside the
    /// range, and a CLOSE_WAIT socket.
    static let table = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:9CA4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0
           1: 0100007F:9CA4 0500000A:D000 01 00000000:00000000 00:00000000 00000000     0        0 101 1 0
           2: 0100007F:9C41 0500000A:01BB 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0
           3: 0100007F:9C42 0500000A:01BB 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0
           4: 0100007F:9C43 0500000A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0
           5: 0100007F:9C44 0500000A:0050 01 00000000:00000000 00:00000000 00000000     0        0 103 1 0
           6: 0100007F:1F90 0500000A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 104 1 0
           7: 0100007F:9C45 0500000A:01BB 08 00000000:00000000 00:00000000 00000000     0        0 105 1 0

        """

    @Test func clientSocketsAreCountedPerDestinationInTheRange() {
        var builder = PortTableBuilder()
        builder.reset()
        builder.tallyClients(in: EphemeralPortRange(low: 40_000, high: 40_499), floor: 1)
        Array(Self.table.utf8).withUnsafeBytes { builder.addProcTable($0, family: .ipv4) }
        let byproducts = builder.byproducts()
        let loopback = IPAddress(text: "127.0.0.1")!, server = IPAddress(text: "10.0.0.5")!
        #expect(byproducts.clientTuples == [
            ClientTupleCount(tuple: ClientTuple(localAddress: loopback, remoteAddress: server, remotePort: 80), sockets: 1, timeWait: 0),
            ClientTupleCount(tuple: ClientTuple(localAddress: loopback, remoteAddress: server, remotePort: 443), sockets: 4, timeWait: 2),
        ])
        #expect(byproducts.closeWaitSockets == [CloseWaitSocket(port: 40_005, inode: 105)])
        // A floor leaves out the small destinations; no range, no tally.
        builder.reset()
        builder.tallyClients(in: EphemeralPortRange(low: 40_000, high: 40_499), floor: 2)
        Array(Self.table.utf8).withUnsafeBytes { builder.addProcTable($0, family: .ipv4) }
        #expect(builder.byproducts().clientTuples.map(\.sockets) == [4])
        builder.reset()
        builder.tallyClients(in: nil, floor: 1)
        Array(Self.table.utf8).withUnsafeBytes { builder.addProcTable($0, family: .ipv4) }
        #expect(builder.byproducts().clientTuples == [])
    }

    @Test func clientTallyGrowsAndKeepsEveryDestination() {
        var builder = PortTableBuilder()
        builder.reset()
        builder.tallyClients(in: EphemeralPortRange(low: 1_024, high: 65_535), floor: 1)
        let local = IPAddress(text: "192.0.2.1")!
        for index in 0..<5_000 {
            let remote = IPAddress(text: "10.0.\(index / 250).\(index % 250)")!
            for port in 0..<2 {
                builder.add(TCPSocketRecord(
                    local: SocketEndpoint(address: local, port: UInt16(2_000 + index * 2 + port)),
                    remote: SocketEndpoint(address: remote, port: 443), state: .timeWait))
            }
        }
        let tuples = builder.byproducts().clientTuples
        #expect(tuples.count == 5_000)
        #expect(tuples.allSatisfy { $0.sockets == 2 && $0.timeWait == 2 })
    }

    @Test func closeWaitAgesFollowInodesAndForgetClosedSockets() {
        var ages = CloseWaitAges()
        let start = Moment(monotonic: .seconds(100), wallClock: 0)
        let first = ages.update([CloseWaitSocket(port: 80, inode: 1), CloseWaitSocket(port: 80, inode: 2)], now: start, minAge: 30)
        #expect(first == [80: CloseWaitFigures(total: 2, old: 0, oldestAgeSeconds: 0)])
        let later = ages.update(
            [CloseWaitSocket(port: 80, inode: 1), CloseWaitSocket(port: 80, inode: 3), CloseWaitSocket(port: 81, inode: 0)],
            now: start.advanced(bySeconds: 45), minAge: 30)
        #expect(later == [80: CloseWaitFigures(total: 2, old: 1, oldestAgeSeconds: 45), 81: CloseWaitFigures(total: 1, old: 0, oldestAgeSeconds: 0)])
        #expect(ages.count == 2)
        // Inode 2 was closed: should the number come back, it is a new socket.
        let again = ages.update([CloseWaitSocket(port: 80, inode: 2)], now: start.advanced(bySeconds: 90), minAge: 30)
        #expect(again == [80: CloseWaitFigures(total: 1, old: 0, oldestAgeSeconds: 0)])
    }

    static let netstat = """
        TcpExt: SyncookiesSent TWRecycled TCPTimeWaitOverflow TCPOrigDataSent
        TcpExt: 0 17 800 12345
        IpExt: InNoRoutes InTruncatedPkts
        IpExt: 0 0

        """

    @Test func netstatTimeWaitEvents() throws {
        #expect(try NetstatParser.timeWaitEvents(in: Self.netstat) == TimeWaitEventCounters(overflow: 800, recycled: 17))
        #expect(try NetstatParser.timeWaitEvents(in: "IpExt: A\nIpExt: 1\n") == nil)
        #expect(try NetstatParser.timeWaitEvents(in: "TcpExt: TWRecycled\nTcpExt: 3\n") == nil)
        #expect(throws: KernelValueError.self) { try NetstatParser.timeWaitEvents(in: "TcpExt: TWRecycled TCPTimeWaitOverflow\nTcpExt: 1\n") }
        #expect(throws: KernelValueError.self) { try NetstatParser.timeWaitEvents(in: "TcpExt: TWRecycled TCPTimeWaitOverflow\nTcpExt: 1 -5\n") }
        #expect(throws: KernelValueError.self) {
            try NetstatParser.timeWaitEvents(in: "TcpExt: TWRecycled TCPTimeWaitOverflow\nTcpExt: 1 99999999999999999999999\n")
        }
    }

    @Test func portRangeMinusReservedPorts() throws {
        let range = try PortRangeParser.range("32768\t60999\n", reserved: "\n", rangeSource: "r", reservedSource: "s")
        #expect(range == EphemeralPortRange(low: 32_768, high: 60_999))
        #expect(range.usable == 28_232)
        #expect(range.text == "32768-60999")
        // Reserved ports count only inside the range; overlapping items once.
        let reserved = try PortRangeParser.range("40000 40499", reserved: "80,40000-40009,40005-40010,40499,50000-50010\n", rangeSource: "r", reservedSource: "s")
        #expect(reserved.usable == 500 - 12)
        #expect(reserved.contains(40_000) && reserved.contains(40_499) && !reserved.contains(39_999) && !reserved.contains(40_500))
        for bad in ["0 100", "100 50", "1 70000", "1", "a b", "1 2 3"] {
            #expect(throws: KernelValueError.self) { try PortRangeParser.range(bad, reserved: nil, rangeSource: "r", reservedSource: "s") }
        }
        #expect(throws: KernelValueError(source: "r", text: "60999 32768", reason: "first port 60999 is above last port 32768")) {
            try PortRangeParser.range("60999\t32768\n", reserved: nil, rangeSource: "r", reservedSource: "s")
        }
        #expect(throws: KernelValueError(source: "s", text: "9010-9000", reason: "first port 9010 is above last port 9000")) {
            try PortRangeParser.range("1 65535", reserved: "9010-9000", rangeSource: "r", reservedSource: "s")
        }
        #expect("\(KernelValueError(source: "r", text: "60999 32768", reason: "first port 60999 is above last port 32768"))"
            == #"r is "60999 32768", first port 60999 is above last port 32768"#)
        for bad in ["9-1", "1-2-3", "x", "-5"] {
            #expect(throws: KernelValueError.self) { try PortRangeParser.range("1 100", reserved: bad, rangeSource: "r", reservedSource: "s") }
        }
    }

    @Test(arguments: ["127.0.0.1", "10.0.0.255", "::1", "::", "2001:db8::7", "::ffff:127.0.0.1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8"])
    func addressTextRoundTrips(text: String) throws {
        #expect(try #require(IPAddress(text: text)).description == text)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.256", "01.2.3.4x", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1.2.3.4.5",
        // One grammar with metrics.listen: no leading zeros (inet_aton reads `010` as octal), no signs.
        "01.2.3.4", "1.2.3.010", "1.2.3.00", "+1.2.3.4", "::+1", "::-1", "::ffff:1.2.3.04", "[::1]", "1.2.3.4 "])
    func addressTextRejectsJunk(text: String) {
        #expect(IPAddress(text: text) == nil)
    }
}
