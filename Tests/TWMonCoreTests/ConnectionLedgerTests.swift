import Testing
import TWMonCore

/// The control socket's fairness rules as pure logic: per-UID and total limits, eviction of a
/// full UID's least recently active idle connection, the bound on queued output, the churn
/// throttle and the rate-limited refusal reports.
@Suite("Control connection ledger")
struct ConnectionLedgerTests {
    private static let limits = ConnectionLedger.Limits(totalLimit: 6, perUserLimit: 3, outputLimit: 100)

    @Test func aUserAtItsLimitLosesItsLeastRecentlyActiveIdleConnection() {
        var ledger = ConnectionLedger(limits: Self.limits)
        #expect((1...3).map { ledger.admit($0, peer: .user(1000)) } == [.admit, .admit, .admit])
        ledger.touch(1)
        // 2 is now the least recently active; another user's connections are not touched.
        #expect(ledger.admit(10, peer: .user(0)) == .admit)
        #expect(ledger.admit(4, peer: .user(1000)) == .admitEvicting(2))
        #expect(ledger.count(of: .user(1000)) == 3)
        #expect(ledger.count(of: .user(0)) == 1)
        // Busy connections (a reply being written) are not evicted.
        for id: ConnectionLedger.ID in [1, 3, 4] { #expect(ledger.queue(id, bytes: 10, for: id).isEmpty) }
        #expect(ledger.admit(5, peer: .user(1000)) == .refuse)
        ledger.written(10, for: 3)
        #expect(ledger.admit(5, peer: .user(1000)) == .admitEvicting(3))
    }

    @Test func theTotalLimitRefusesWhateverTheUser() {
        var ledger = ConnectionLedger(limits: Self.limits)
        for id in 1...6 { #expect(ledger.admit(ConnectionLedger.ID(id), peer: .user(UInt32(id % 2))) == .admit) }
        #expect(ledger.admit(7, peer: .user(2)) == .refuse)
        ledger.remove(1)
        #expect(ledger.admit(7, peer: .user(2)) == .admit)
        #expect(ledger.count == 6)
    }

    @Test func sharedBuffersCountOnceAndTheHoldersOfTheOldestAreDroppedFirst() {
        var ledger = ConnectionLedger(limits: Self.limits)
        for id in 1...5 { _ = ledger.admit(ConnectionLedger.ID(id), peer: .user(UInt32(id))) }
        // Three connections queue the same 60-byte buffer: 60 bytes, not 180.
        for id: ConnectionLedger.ID in [1, 2, 3] { #expect(ledger.queue(7, bytes: 60, for: id).isEmpty) }
        #expect(ledger.queuedBytes == 60)
        // 4 reads its copy of buffer 8 completely: it is no longer holding anything.
        #expect(ledger.queue(8, bytes: 30, for: 4).isEmpty)
        ledger.written(30, for: 4)
        #expect(ledger.queuedBytes == 60)
        // A newer 50-byte buffer would pass 100: the holders of the oldest (7) go.
        #expect(ledger.queue(9, bytes: 50, for: 5) == [1, 2, 3])
        #expect(ledger.queuedBytes == 50)
        #expect(ledger.count == 2)
        // A reply larger than the bound drops everyone else's output, then still goes out.
        #expect(ledger.queue(10, bytes: 500, for: 4) == [5])
        #expect(ledger.queuedBytes == 500)
    }

    @Test func churnBeyondTheBurstDelaysAccepting() {
        var throttle = ChurnThrottle(ratePerSecond: 400, burst: 100)
        #expect(throttle.delay(now: 0) == 0)
        for _ in 0..<100 { throttle.charge(now: 0) }
        #expect(throttle.delay(now: 0) == 1.0 / 400)
        for _ in 0..<40 { throttle.charge(now: 0) }
        // 40 tokens in debt and one wanted: 41 / 400 s.
        #expect(abs(throttle.delay(now: 0) - 41.0 / 400) < 1e-9)
        #expect(throttle.delay(now: 1) == 0)
    }

    @Test func refusalsAreReportedOncePerUserAndInterval() {
        var reporter = RefusalReporter(interval: 60)
        #expect(reporter.refused(.user(65_534), now: 0) == RefusalReporter.Report(peer: .user(65_534), refused: 1))
        #expect((1..<1_000).compactMap { reporter.refused(.user(65_534), now: Double($0) / 100) }.isEmpty)
        #expect(reporter.refused(.user(0), now: 5) == RefusalReporter.Report(peer: .user(0), refused: 1))
        #expect(reporter.refused(.user(65_534), now: 61) == RefusalReporter.Report(peer: .user(65_534), refused: 1_000))
        #expect(reporter.refused(.user(65_534), now: 62) == nil)
    }
}
