import Testing
import TWMonCore

/// `CloseEventJoin`: exact windows from per-scan reads, and the join of a read to a table by key.
struct CloseEventJoinTests {
    private func read(_ active: UInt64, pid: UInt32 = 812) -> CloseEventCounts {
        CloseEventCounts(validating: CloseEventRead(
            counts: [CloseCountRecord(namespaceInode: 7, port: 8080, cgroupID: 1, counts: CloseCounts(activeCloses: active))],
            closers: [CloserRecord(namespaceInode: 7, port: 8080, slots: [CloserSlotRecord(pid: pid, closes: active, error: 0, comm: Array("nginx".utf8))])],
            namespaces: [NamespaceRecord(namespaceInode: 7, cookie: 1, procTCPInode: 4242)]))
    }

    @Test func windowsCoverWholeIntervalsAndJoinByKey() {
        var join = CloseEventJoin(openedAt: .seconds(0))
        var scan = join.record(read(0), at: .seconds(5))
        // 100 closes per 5 s interval for 60 s.
        for step in 1...12 { scan = join.record(read(UInt64(step) * 100), at: .seconds(5 + 5 * step)) }
        let rates = scan.rates[CloseEventPort(namespaceInode: 7, port: 8080)]
        #expect(rates == RecentCloses(last10Seconds: 200, last60Seconds: 1_200, source: .ebpf))

        let server = PortStats(port: 8080, ipv4: StateCounts([.listen: 1]))
        var table = PortTable(ports: [server, PortStats(port: 41_000, ipv4: StateCounts([.established: 1]))])
        var totals: [UInt16: Int] = [8080: 3]
        scan.join(into: &table, activeCloses: &totals, namespaceKey: 9999)
        #expect(table.ports[0].closers.isEmpty && totals[8080] == 3, "another namespace's key joins nothing")
        scan.join(into: &table, activeCloses: &totals, namespaceKey: 4242)
        #expect(table.ports[0].recentCloses.source == .ebpf)
        #expect(table.ports[0].closers.map(\.comm) == ["nginx"])
        #expect(table.ports[0].closers.first?.pid == 812)
        #expect(totals[8080] == 1_200)
        #expect(table.ports[1].recentCloses.source == .timers, "a client port keeps the table walk's figures")
    }

    @Test func aFirstReadCountsSinceOpening() {
        var join = CloseEventJoin(openedAt: .seconds(10))
        let scan = join.record(read(50), at: .seconds(15))
        #expect(scan.rates[CloseEventPort(namespaceInode: 7, port: 8080)] == RecentCloses(last10Seconds: 100, last60Seconds: 600, source: .ebpf))
    }
}
