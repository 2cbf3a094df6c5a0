import Testing
import TWMonCore

/// The served sockets' fairness rules as pure logic: per-peer and total limits, eviction of a
/// full peer's least recently active idle connection, eviction of an idle connection of the
/// peer holding the most when all are taken, the bound on queued output, the churn
/// throttle and the rate-limited refusal reports.
@Suite("Control connection ledger")
struct ConnectionLedgerTests {
    private static let limits = ConnectionLedger.Limits(totalLimit: 6, perPeerLimit: 3, outputLimit: 100)

    @Test func aPeerAtItsLimitLosesItsLeastRecentlyActiveIdleConnection() {
        var ledger = ConnectionLedger(limits: Self.limits)
        #expect((1...3).map { ledger.admit($0, peer: .uid(1000)) } == [.admit, .admit, .admit])
        ledger.touch(1)
        // 2 is now the least recently active; another peer's connections are not touched.
        #expect(ledger.admit(10, peer: .uid(0)) == .admit)
        #expect(ledger.admit(4, peer: .uid(1000)) == .admitEvicting(2))
        #expect(ledger.count(of: .uid(1000)) == 3)
        #expect(ledger.count(of: .uid(0)) == 1)
        // Busy connections (a reply being written) are not evicted.
        for id: ConnectionLedger.ID in [1, 3, 4] { #expect(ledger.queue(id, bytes: 10, for: id).isEmpty) }
        #expect(ledger.admit(5, peer: .uid(1000)) == .refuse)
        ledger.written(10, for: 3)
        #expect(ledger.admit(5, peer: .uid(1000)) == .admitEvicting(3))
    }

    @Test func whenAllAreTakenAnIdleConnectionOfTheLargestPeerMakesRoom() {
        var ledger = ConnectionLedger(limits: Self.limits)
        // Two peers hold three each, idle; 1 (peer 1) is the least recently active once 2 is touched.
        for id in 1...6 { #expect(ledger.admit(ConnectionLedger.ID(id), peer: .uid(UInt32(id % 2))) == .admit) }
        ledger.touch(2)
        // Equals: the least recently active of theirs.
        #expect(ledger.admit(7, peer: .uid(2)) == .admitEvictingAcrossPeers(1, peer: .uid(1)))
        // Peer 0 holds the most now: its least recently active goes, although 3 is older.
        #expect(ledger.admit(8, peer: .uid(3)) == .admitEvictingAcrossPeers(4, peer: .uid(0)))
        #expect(ledger.count == 6)
        #expect(ledger.count(of: .uid(0)) == 2 && ledger.count(of: .uid(1)) == 2)
        // Busy connections are skipped: peer 1's two write, so peer 0 (as large, idle) gives 6.
        for id: ConnectionLedger.ID in [3, 5] { #expect(ledger.queue(id, bytes: 10, for: id).isEmpty) }
        #expect(ledger.admit(9, peer: .uid(4)) == .admitEvictingAcrossPeers(6, peer: .uid(0)))
        // Now every idle peer holds one: the least recently active of all (2, touched early).
        #expect(ledger.admit(10, peer: .uid(5)) == .admitEvictingAcrossPeers(2, peer: .uid(0)))
        #expect(ledger.count == 6)
    }

    /// One peer holds every connection and reconnects as fast as it is evicted: a newcomer's
    /// connection, idle between its connect and its first call, is never the one evicted.
    /// The newcomer's connection in `aPeerThatReconnectsAtOnceEvictsOnlyItself`.
    private static let root: ConnectionLedger.ID = 1_000_000

    @Test func aPeerThatReconnectsAtOnceEvictsOnlyItself() {
        var ledger = ConnectionLedger(limits: ConnectionLedger.Limits(totalLimit: 8, perPeerLimit: 128, outputLimit: 1 << 20))
        for id in 1...8 { #expect(ledger.admit(ConnectionLedger.ID(id), peer: .uid(65_534)) == .admit) }
        #expect(ledger.admit(Self.root, peer: .uid(0)) == .admitEvictingAcrossPeers(1, peer: .uid(65_534)))
        for id: ConnectionLedger.ID in 9...1_000 {
            switch ledger.admit(id, peer: .uid(65_534)) {
            case .admitEvicting(let victim): #expect(victim != Self.root)  // at its own limit: its own
            case .admitEvictingAcrossPeers(let victim, let peer): #expect(victim != Self.root && peer == .uid(65_534))
            case let other: Issue.record("\(id): \(other)")
            }
        }
        #expect(ledger.count(of: .uid(0)) == 1)
    }

    @Test func theTotalLimitRefusesWhenEveryConnectionIsBusy() {
        var ledger = ConnectionLedger(limits: Self.limits)
        for id in 1...6 {
            #expect(ledger.admit(ConnectionLedger.ID(id), peer: .uid(UInt32(id % 2))) == .admit)
            #expect(ledger.queue(ConnectionLedger.ID(id), bytes: 10, for: ConnectionLedger.ID(id)).isEmpty)
        }
        #expect(ledger.admit(7, peer: .uid(2)) == .refuse)
        ledger.remove(1)
        #expect(ledger.admit(7, peer: .uid(2)) == .admit)
        #expect(ledger.queue(7, bytes: 10, for: 7).isEmpty)
        #expect(ledger.count == 6)
        #expect(ledger.admit(8, peer: .uid(2)) == .refuse)
        ledger.written(10, for: 3)
        #expect(ledger.admit(8, peer: .uid(2)) == .admitEvictingAcrossPeers(3, peer: .uid(1)))
    }

    /// 512 connections of four peers (4 × 128), then a storm of 20 000 newcomers from 100
    /// peers: each admission evicts an idle connection of the largest peers, the least recently
    /// active of theirs first, so the four shrink in turn and the slots end up shared evenly;
    /// the ledger stays consistent (and fast: O(peers + connections) per admission at the limit).
    @Test func aStormOfNewcomersEvictsFromTheLargestPeersInOrderOfActivity() {
        var ledger = ConnectionLedger(limits: ConnectionLedger.Limits(totalLimit: 512, perPeerLimit: 128, outputLimit: 1 << 20))
        for id in 1...512 { #expect(ledger.admit(ConnectionLedger.ID(id), peer: .uid(UInt32(2 + (id - 1) / 128))) == .admit) }
        var victims: [ConnectionLedger.ID] = []
        for id: ConnectionLedger.ID in 513...20_512 {
            guard case .admitEvictingAcrossPeers(let victim, _) = ledger.admit(id, peer: .uid(1_000 + UInt32(id % 100))) else {
                Issue.record("\(id) not admitted by evicting")
                return
            }
            victims.append(victim)
        }
        // The four largest give in turn, each its least recently active.
        #expect(Array(victims.prefix(8)) == [1, 129, 257, 385, 2, 130, 258, 386])
        #expect(ledger.count == 512)
        let counts = (2...5).map { ledger.count(of: .uid(UInt32($0))) } + (1_000..<1_100).map { ledger.count(of: .uid(UInt32($0))) }
        #expect(counts.max()! - counts.min()! <= 1)
    }

    @Test func sharedBuffersCountOnceAndTheHoldersOfTheOldestAreDroppedFirst() {
        var ledger = ConnectionLedger(limits: Self.limits)
        for id in 1...5 { _ = ledger.admit(ConnectionLedger.ID(id), peer: .uid(UInt32(id))) }
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
        var reporter = RefusalReporter<ConnectionPeer>(interval: 60)
        #expect(reporter.refused(.uid(65_534), now: 0) == RefusalReporter<ConnectionPeer>.Report(offender: .uid(65_534), refused: 1))
        #expect((1..<1_000).compactMap { reporter.refused(.uid(65_534), now: Double($0) / 100) }.isEmpty)
        #expect(reporter.refused(.uid(0), now: 5) == RefusalReporter<ConnectionPeer>.Report(offender: .uid(0), refused: 1))
        #expect(reporter.refused(.uid(65_534), now: 61) == RefusalReporter<ConnectionPeer>.Report(offender: .uid(65_534), refused: 1_000))
        #expect(reporter.refused(.uid(65_534), now: 62) == nil)
    }
}
