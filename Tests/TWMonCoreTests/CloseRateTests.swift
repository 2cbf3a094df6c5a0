import Testing
@testable import TWMonCore

@Suite("Close rate from TIME_WAIT timers")
struct CloseRateTests {
    static let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

    /// A /proc/net/tcp table: a listener on 8080 and TIME_WAIT sockets with these ticks left.
    static func table(port: String = "1F90", ticksLeft: [UInt32], timer: String = "03") -> String {
        var text = header
        text += "   0: 00000000:\(port) 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n"
        for (index, ticks) in ticksLeft.enumerated() {
            let hex = String(ticks, radix: 16, uppercase: true)
            let remotePort = String(40_000 + index, radix: 16, uppercase: true)
            text += "\(String(repeating: " ", count: 3))\(index + 1): 0100007F:\(port) 0100007F:\(remotePort) 06 00000000:00000000 \(timer):\(String(repeating: "0", count: 8 - hex.count))\(hex) 00000000     0        0 0 3 0000000000000000\n"
        }
        return text
    }

    static func build(_ text: String, window: Int = 0) -> PortTable {
        scan(text, window: window).table
    }

    static func scan(_ text: String, window: Int = 0) -> ScanResult {
        var builder = PortTableBuilder()
        builder.reset()
        builder.newCloseWindowMilliseconds = window
        Array(text.utf8).withUnsafeBytes { builder.addProcTable($0, family: .ipv4) }
        return builder.result()
    }

    @Test func readsTheTimerColumn() throws {
        let text = Array(Self.table(ticksLeft: [0x167F]).utf8)
        var timers: [UInt32] = []
        text.withUnsafeBytes { buffer in
            let end = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + buffer.count
            _ = ProcNetTCPParser.forEachRow(in: buffer, family: .ipv4) { row in
                if let timer = row.timer(before: end), row.state == .timeWait {
                    #expect(timer.kind == 3)
                    timers.append(timer.ticks)
                }
            }
        }
        #expect(timers == [0x167F])
    }

    @Test func readsEveryDigitOfTheTimerInEitherCase() throws {
        var generator = SystemRandomNumberGenerator()
        let values: [UInt32] = [0, 1, 0x167F, 0xFFFF_FFFF, 0x8000_0000, 0x0123_4567, 0x89AB_CDEF] + (0..<200).map { _ in generator.next() }
        for value in values {
            for uppercase in [true, false] {
                let hex = String(value, radix: 16, uppercase: uppercase)
                let row = Self.header + "   1: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:\(String(repeating: "0", count: 8 - hex.count))\(hex) 00000000     0        0 0 3 0000000000000000\n"
                let bytes = Array(row.utf8)
                var ticks: UInt32?
                bytes.withUnsafeBytes { buffer in
                    let end = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + buffer.count
                    _ = ProcNetTCPParser.forEachRow(in: buffer, family: .ipv4) { ticks = $0.timer(before: end)?.ticks }
                }
                #expect(ticks == value, "\(hex)")
            }
        }
        // Not hex, a column moved: no timer.
        for damaged in ["03:0000G67F", "03:0000167F".replacingAll(":", ";")] {
            let text = Self.header + "   1: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 \(damaged) 00000000     0        0 0 3 0\n"
            #expect(Self.build(text)[port: 8080]?.recentCloses == RecentCloses())
        }
        #expect(Self.build(Self.header + "   1: 0100007F:1F90 0100007F:9C40 06  00000000:00000000 03:0000167F 0\n")[port: 8080]?.recentCloses == RecentCloses())
    }

    @Test func countsClosesPerWindowFromTheTimeLeft() throws {
        // Ages 0.5 s, 9.9 s, 10 s, 30 s, 59.99 s and one due (0 left: older than 60 s).
        let scan = Self.scan(Self.table(ticksLeft: [5950, 5010, 5000, 3000, 1, 0]))
        let table = scan.table
        let port = try #require(table[port: 8080])
        #expect(port.recentCloses == RecentCloses(last10Seconds: 2, last60Seconds: 5))
        #expect(port.recentCloses.perSecond10 == 0.2)
        #expect(port.recentCloses.perSecond60 == 5.0 / 60)
        #expect(scan.byproducts.newActiveCloses.isEmpty)
    }

    @Test func rejectsTimersOutOfRangeAndOtherTimers() throws {
        // 60.01 s left cannot be; timer kind 1 (retransmit) is not the TIME_WAIT timer.
        #expect(Self.build(Self.table(ticksLeft: [6001, 0xFFFF_FFFF])).ports.first?.recentCloses == RecentCloses())
        #expect(Self.build(Self.table(ticksLeft: [5950], timer: "01")).ports.first?.recentCloses == RecentCloses())
        #expect(Self.build(Self.table(ticksLeft: [6000])).ports.first?.recentCloses == RecentCloses(last10Seconds: 1, last60Seconds: 1))
        #expect(TimeWaitTimer.millisecondsLeft(diagExpires: 60_001) == nil)
        #expect(TimeWaitTimer.millisecondsLeft(diagExpires: 59_999) == 59_999)
        // A row cut off before its timer column still counts, without a timer.
        let cut = Self.header + "   1: 0100007F:1F90 0100007F:9C40 06 00000000:0000"
        let table = Self.build(cut)
        #expect(table[port: 8080]?.timeWait == 1)
        #expect(table[port: 8080]?.recentCloses == RecentCloses())
    }

    @Test func newClosesAreThoseYoungerThanTheTimeSinceTheLastScan() throws {
        // 2 s since the previous scan: ages 0.5 s and 1.99 s are new, 2 s and 30 s were seen.
        let scan = Self.scan(Self.table(ticksLeft: [5950, 5801, 5800, 3000]), window: 2_000)
        #expect(scan.byproducts.newActiveCloses == [8080: 2])
    }

    @Test func activeCloseCounterAddsServerPortsOnly() {
        var counter = ActiveCloseCounter()
        var server = ScanResult(table: PortTable(ports: [PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 5])),
                                                         PortStats(port: 41_000, ipv4: StateCounts([.timeWait: 3]))]))
        server.byproducts.newActiveCloses = [8080: 5, 41_000: 3]
        counter.add(server)
        server.byproducts.newActiveCloses = [8080: 2]
        counter.add(server)
        #expect(counter.totals == [8080: 7])
        server.byproducts.newActiveCloses = [8080: .max]
        counter.add(server)
        #expect(counter.totals == [8080: .max])
    }

    @Test func capturedFixtureHasRatesOnItsServerPorts() throws {
        var builder = PortTableBuilder()
        builder.reset()
        for (name, family) in [("tcp-ipv4.txt", AddressFamily.ipv4), ("tcp6-mixed.txt", .ipv6)] {
            try Fixture.bytes(name).withUnsafeBytes { builder.addProcTable($0, family: family) }
        }
        let table = builder.build()
        // Every TIME_WAIT socket of the capture is under a second old.
        for stats in table.ports {
            #expect(stats.recentCloses == RecentCloses(last10Seconds: stats.timeWait, last60Seconds: stats.timeWait))
        }
        #expect(table[port: 8080]?.recentCloses.last10Seconds == 3)
    }

    @Test func rateText() {
        #expect(RecentCloses.rateText(0) == "0.0")
        #expect(RecentCloses.rateText(0.25) == "0.3")
        #expect(RecentCloses.rateText(400.0 / 60) == "6.7")
        #expect(RecentCloses.rateText(99.96) == "100")
        #expect(RecentCloses.rateText(.nan) == "?")
        #expect(RecentCloses(perSecond10: 9.9, perSecond60: 1.0 / 60) == RecentCloses(last10Seconds: 99, last60Seconds: 1))
        #expect(RecentCloses(perSecond10: -1, perSecond60: .infinity) == RecentCloses())
    }
}
