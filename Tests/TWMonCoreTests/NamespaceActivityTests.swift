import Testing
@testable import TWMonCore

@Suite("Namespace activity from sockstat and dev")
struct NamespaceActivityTests {
    static let sockstat = """
        sockets: used 27
        TCP: inuse 3 orphan 0 tw 7 alloc 1603 mem 2
        UDP: inuse 0 mem 0

        """
    static let header = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs colls carrier compressed

        """
    /// `dev` with loopback (`loPackets` each way) and an eth0 with 12 received, 9 sent.
    static func dev(loPackets: String = "1024") -> String {
        header
            + "    lo:  123456    \(loPackets)    0    0    0     0          0         0   123456    \(loPackets)    0    0    0     0       0          0\n"
            + "  eth0: 9876543210   12    0    0    0     0          0         0     4321        9    0    0    0     0       0          0\n"
    }

    @Test func readsCountsAndPackets() throws {
        let activity = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.dev())
        #expect(activity.inUse == 3)
        #expect(activity.timeWait == 7)
        #expect(activity.packets == [1024, 1024, 12, 9])
        #expect(!activity.isEmpty)
    }

    @Test func emptyOnlyWithoutHashedAndTimeWaitSockets() throws {
        let empty = try NamespaceActivity.parse(sockstat: "TCP: inuse 0 orphan 4 tw 0 alloc 9 mem 1\n", dev: Self.dev())
        #expect(empty.isEmpty)
        let timeWaitOnly = try NamespaceActivity.parse(sockstat: "TCP: inuse 0 orphan 0 tw 1 alloc 9 mem 1\n", dev: Self.dev())
        #expect(!timeWaitOnly.isEmpty)
    }

    @Test func anyMovedCountMakesItDiffer() throws {
        let before = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.dev())
        let same = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.dev())
        let moved = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.dev(loPackets: "1025"))
        let interfaceGone = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.header + "    lo:  123456    1024    0    0    0     0          0         0   123456    1024    0    0    0     0       0          0\n")
        let socketMore = try NamespaceActivity.parse(sockstat: "TCP: inuse 4 orphan 0 tw 7 alloc 1603 mem 2\n", dev: Self.dev())
        #expect(before == same)
        #expect(before != moved)
        #expect(before != interfaceGone)
        #expect(before != socketMore)
    }

    @Test(arguments: [
        ("sockets: used 1\n", "s: no TCP: line with inuse and tw"),
        ("TCP: inuse 3 orphan 0 alloc 1\n", "s: no TCP: line with inuse and tw"),
        ("TCP: inuse -1 orphan 0 tw 0\n", "s: inuse"),
        ("TCP: inuse 3 orphan 0 tw 2147483648\n", "s: tw"),
        ("TCP: inuse 3x orphan 0 tw 1\n", "s: inuse"),
    ])
    func malformedSockstatIsAnError(text: String, source: String) {
        do {
            _ = try NamespaceActivity.parse(sockstat: text, dev: Self.dev(), sockstatSource: "s", devSource: "d")
            Issue.record("parsed \(text)")
        } catch {
            #expect("\(error.source)\(error.reason.map { ": " + $0 } ?? "")" == source)
        }
    }

    @Test(arguments: [
        ("-5", "d: lo packets"),
        ("99999999999999999999", "d: lo packets"),
        ("12x", "d: lo packets"),
    ])
    func malformedPacketCountsAreAnError(packets: String, source: String) {
        do {
            _ = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.dev(loPackets: packets), sockstatSource: "s", devSource: "d")
            Issue.record("parsed \(packets)")
        } catch {
            #expect(error.source == source)
        }
    }

    @Test(arguments: [
        ("", "no header lines"),
        (header + "    lo: 1 2 3\n", "an interface line with 3 counts, not 16"),
        (header + "lo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "an interface line without \"name:\""),
    ])
    func malformedDevIsAnError(text: String, reason: String) {
        do {
            _ = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: text, sockstatSource: "s", devSource: "d")
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.source == "d")
            #expect(error.reason == reason)
        }
    }

    /// A namespace with loopback alone, as the kernel prints it.
    @Test func loopbackAlone() throws {
        let activity = try NamespaceActivity.parse(sockstat: Self.sockstat, dev: Self.header + "    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n")
        #expect(activity.packets == [0, 0])
    }
}
