import Testing
import TWMonCore

/// The checked view of a close-event read and the interval tally, from hand-made reads.
@Suite struct CloseEventCountsTests {
    private static let namespace: UInt32 = 4_026_532_178
    private static let web = CloseEventPort(namespaceInode: namespace, port: 8080)

    private func comm(_ text: String) -> [UInt8] { Array(text.utf8) + Array(repeating: 0, count: 16 - text.utf8.count) }

    private func slot(_ pid: UInt32, _ closes: UInt64, error: UInt64 = 0, _ name: String = "nginx") -> CloserSlotRecord {
        CloserSlotRecord(pid: pid, closes: closes, error: error, comm: comm(name))
    }

    private static let empty = CloserSlotRecord(pid: 0, closes: 0, error: 0, comm: Array(repeating: 0, count: 16))

    /// The `close_wait` map per port: aged against the read's clock, impossible entries refused.
    @Test func closeWaitSocketsAreAgedPerPort() {
        let second: UInt64 = 1_000_000_000
        let read = CloseEventRead(closeWait: [
            CloseWaitRecord(namespaceInode: Self.namespace, port: 8080, enteredNanoseconds: 100 * second),
            CloseWaitRecord(namespaceInode: Self.namespace, port: 8080, enteredNanoseconds: 129 * second),
            CloseWaitRecord(namespaceInode: Self.namespace, port: 8080, enteredNanoseconds: 131 * second),
            CloseWaitRecord(namespaceInode: Self.namespace, port: 9090, enteredNanoseconds: 135 * second),
            CloseWaitRecord(namespaceInode: 7, port: 8080, enteredNanoseconds: 1 * second),
            CloseWaitRecord(namespaceInode: Self.namespace, port: 8080, enteredNanoseconds: 0),
            CloseWaitRecord(namespaceInode: Self.namespace, port: 8080, enteredNanoseconds: 141 * second),
            CloseWaitRecord(namespaceInode: Self.namespace, port: 0, enteredNanoseconds: 1 * second),
        ], readAtNanoseconds: 140 * second)
        let counts = CloseEventCounts(validating: read)
        #expect(counts.rejections.count == 3)
        #expect(counts.closeWaitFigures(namespaceInode: Self.namespace, minAge: 10) == [
            8080: CloseWaitFigures(total: 3, old: 2, oldestAgeSeconds: 40), 9090: CloseWaitFigures(total: 1, old: 0, oldestAgeSeconds: 5),
        ])
        #expect(counts.closeWaitFigures(namespaceInode: 7, minAge: 10) == [8080: CloseWaitFigures(total: 1, old: 1, oldestAgeSeconds: 139)])
        #expect(counts.closeWaitFigures(namespaceInode: 8, minAge: 10).isEmpty)

        // The join by the namespace's /proc/PID/net/tcp inode, and the larger of walk and events.
        let joined = CloseEventCounts(validating: CloseEventRead(
            namespaces: [NamespaceRecord(namespaceInode: Self.namespace, cookie: 1, procTCPInode: 4242)],
            closeWait: read.closeWait.prefix(4).map { $0 }, readAtNanoseconds: 140 * second))
        let scan = CloseEventScan(counts: joined, interval: CloseEventInterval(seconds: 0), rates: [:])
        let events = scan.closeWait(namespaceKey: 4242, minAge: 10)
        #expect(events[8080] == CloseWaitFigures(total: 3, old: 2, oldestAgeSeconds: 40))
        #expect(scan.closeWait(namespaceKey: 4243, minAge: 10).isEmpty)
        let walk: [UInt16: CloseWaitFigures] = [8080: CloseWaitFigures(total: 5, old: 1, oldestAgeSeconds: 12), 22: CloseWaitFigures(total: 1, old: 1, oldestAgeSeconds: 99)]
        #expect(CloseWaitFigures.larger(walk, events) == [
            8080: CloseWaitFigures(total: 5, old: 2, oldestAgeSeconds: 40), 9090: CloseWaitFigures(total: 1, old: 0, oldestAgeSeconds: 5),
            22: CloseWaitFigures(total: 1, old: 1, oldestAgeSeconds: 99),
        ])
    }

    @Test func countsAreSummedOverCgroupsAndKeptPerCgroup() {
        let read = CloseEventRead(counts: [
            CloseCountRecord(namespaceInode: Self.namespace, port: 8080, cgroupID: 11, counts: CloseCounts(activeCloses: 100, resets: 2)),
            CloseCountRecord(namespaceInode: Self.namespace, port: 8080, cgroupID: 12, counts: CloseCounts(activeCloses: 5, passiveCloses: 7)),
            CloseCountRecord(namespaceInode: Self.namespace, port: 5432, side: 1, cgroupID: 11, counts: CloseCounts(passiveCloses: 9)),
        ])
        let counts = CloseEventCounts(validating: read)
        #expect(counts.rejections.isEmpty)
        #expect(counts.ports[Self.web]?.counts == CloseCounts(activeCloses: 105, resets: 2, passiveCloses: 7))
        #expect(counts.ports[Self.web]?.countsByCgroup[12] == CloseCounts(activeCloses: 5, passiveCloses: 7))
        #expect(counts.ports[CloseEventPort(namespaceInode: Self.namespace, port: 5432, side: .remote)]?.counts == CloseCounts(passiveCloses: 9))
        #expect(counts.ports[CloseEventPort(namespaceInode: Self.namespace, port: 5432)] == nil)
    }

    @Test func closersAreMergedOverCPUsAndTheLargestKept() {
        // Two CPUs' samples of four slots each: pid 812 on both, five pids in all.
        let slots = [slot(812, 900, error: 10), slot(40, 3), slot(41, 2), Self.empty,
                     slot(812, 600), slot(42, 50, "curl"), slot(43, 1), Self.empty]
        let counts = CloseEventCounts(validating: CloseEventRead(closers: [CloserRecord(namespaceInode: Self.namespace, port: 8080, slots: slots)]))
        let closers = counts.ports[Self.web]?.closers ?? []
        #expect(closers.map(\.pid) == [812, 42, 40, 41])
        #expect(closers.first == Closer(pid: 812, comm: "nginx", closes: 1_500, certainCloses: 1_490))
        #expect(closers[1].comm == "curl")
    }

    @Test func impossibleRecordsAreRefusedAndTheRestKept() {
        let read = CloseEventRead(
            counts: [
                CloseCountRecord(namespaceInode: 0, port: 8080, cgroupID: 1, counts: CloseCounts(activeCloses: 1)),
                CloseCountRecord(namespaceInode: Self.namespace, port: 0, cgroupID: 1, counts: CloseCounts(activeCloses: 1)),
                CloseCountRecord(namespaceInode: Self.namespace, port: 80, side: 7, cgroupID: 1, counts: CloseCounts(activeCloses: 1)),
                CloseCountRecord(namespaceInode: Self.namespace, port: 9000, cgroupID: 1, counts: CloseCounts(activeCloses: .max)),
                CloseCountRecord(namespaceInode: Self.namespace, port: 9000, cgroupID: 2, counts: CloseCounts(activeCloses: 1)),
                CloseCountRecord(namespaceInode: Self.namespace, port: 8080, cgroupID: 1, counts: CloseCounts(activeCloses: 4)),
            ],
            closers: [
                CloserRecord(namespaceInode: Self.namespace, port: 8080, slots: [slot(0, 5)]),
                CloserRecord(namespaceInode: Self.namespace, port: 9000, slots: [slot(5_000_000, 5)]),
                CloserRecord(namespaceInode: Self.namespace, port: 9001, slots: [slot(7, 5, error: 6)]),
            ],
            namespaces: [NamespaceRecord(namespaceInode: Self.namespace, cookie: 9, procTCPInode: 0)]
        )
        let counts = CloseEventCounts(validating: read)
        #expect(counts.rejections.count == 7)
        #expect(counts.rejections.contains(.impossibleKey(namespaceInode: Self.namespace, port: 80, side: 7)))
        #expect(counts.rejections.contains(.countOverflow(CloseEventPort(namespaceInode: Self.namespace, port: 9000))))
        #expect(counts.ports[Self.web]?.counts == CloseCounts(activeCloses: 4))
        #expect(counts.ports[Self.web]?.closers == [])
        #expect(counts.ports[CloseEventPort(namespaceInode: Self.namespace, port: 9000)]?.counts == CloseCounts(activeCloses: .max))
        // A namespace whose /proc/net/tcp was not found has no join key.
        #expect(counts.procTCPInodes.isEmpty)
    }

    @Test func aCommIsCutAtItsNulAndForeignBytesSurvive() {
        var bytes = comm("worker")
        bytes[7] = 0xFF  // after the NUL: never read
        let odd: [UInt8] = [0x6E, 0xFF, 0x0A] + Array(repeating: 0x41, count: 13)  // no NUL at all
        let counts = CloseEventCounts(validating: CloseEventRead(closers: [
            CloserRecord(namespaceInode: Self.namespace, port: 8080, slots: [CloserSlotRecord(pid: 1, closes: 2, error: 0, comm: bytes)]),
            CloserRecord(namespaceInode: Self.namespace, port: 8081, slots: [CloserSlotRecord(pid: 2, closes: 2, error: 0, comm: odd)]),
        ]))
        #expect(counts.ports[Self.web]?.closers.first?.comm == "worker")
        let other = counts.ports[CloseEventPort(namespaceInode: Self.namespace, port: 8081)]?.closers.first?.comm
        #expect(other == "n\u{FFFD}\n" + String(repeating: "A", count: 12))
    }

    @Test func theJoinKeyLeadsBackToTheNamespace() {
        let counts = CloseEventCounts(validating: CloseEventRead(namespaces: [
            NamespaceRecord(namespaceInode: Self.namespace, cookie: 4, procTCPInode: 4_026_532_203),
            NamespaceRecord(namespaceInode: 4_026_531_840, cookie: 1, procTCPInode: 4_026_531_900),
        ]))
        #expect(counts.procTCPInodes[Self.namespace] == 4_026_532_203)
        #expect(counts.namespaceInode(procTCPInode: 4_026_532_203) == Self.namespace)
        #expect(counts.namespaceInode(procTCPInode: 1) == nil)
    }

    @Test func theTallyGivesPerIntervalFiguresAndTotals() {
        var tally = CloseEventTally(openedAt: .seconds(100))
        func read(_ active: UInt64, closers: [CloserSlotRecord], lost: UInt64 = 0) -> CloseEventCounts {
            CloseEventCounts(validating: CloseEventRead(
                counts: [CloseCountRecord(namespaceInode: Self.namespace, port: 8080, cgroupID: 1, counts: CloseCounts(activeCloses: active, resets: 1))],
                closers: [CloserRecord(namespaceInode: Self.namespace, port: 8080, slots: closers)],
                statistics: CloseEventStatistics(events: active * 4, countsFull: lost)))
        }
        let first = tally.record(read(2_000, closers: [slot(812, 2_000)]), at: .seconds(110))
        #expect(first.seconds == 10)
        #expect(first.ports[Self.web]?.interval == CloseCounts(activeCloses: 2_000, resets: 1))
        #expect(first.ports[Self.web]?.perSecond.activeCloses == 200)

        let second = tally.record(read(2_600, closers: [slot(812, 2_500), slot(99, 100, error: 40, "cron")], lost: 3), at: .seconds(112))
        let port = second.ports[Self.web]
        #expect(port?.total == CloseCounts(activeCloses: 2_600, resets: 1))
        #expect(port?.interval == CloseCounts(activeCloses: 600))
        #expect(port?.perSecond.activeCloses == 300)
        #expect(port?.perSecond.resets == 0)
        // pid 812 grew by 500; pid 99 is new: only its certain closes count for the interval.
        #expect(port?.intervalClosers.map(\.pid) == [812, 99])
        #expect(port?.intervalClosers.map(\.closes) == [500, 60])
        #expect(second.lostCounts == 3)

        // Counters that went down (the source was reopened) start over from that read.
        let third = tally.record(read(50, closers: []), at: .seconds(113))
        #expect(third.ports[Self.web]?.interval == CloseCounts(activeCloses: 50, resets: 1))
        #expect(third.lostCounts == 0)
    }

    @Test func anIntervalOfNoTimeHasNoRates() {
        var tally = CloseEventTally(openedAt: .seconds(5))
        let interval = tally.record(CloseEventCounts(validating: CloseEventRead(counts: [
            CloseCountRecord(namespaceInode: Self.namespace, port: 8080, cgroupID: 1, counts: CloseCounts(activeCloses: 3)),
        ])), at: .seconds(5))
        #expect(interval.ports[Self.web]?.perSecond == CloseRates())
    }
}
