import Testing
@testable import TWMonCore

@Suite("Namespace activity from sockstat and snmp")
struct NamespaceActivityTests {
    static let sockstat = """
        sockets: used 27
        TCP: inuse 3 orphan 0 tw 7 alloc 1603 mem 2
        UDP: inuse 0 mem 0

        """
    static let snmpNames = "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors"
    static func snmp(_ values: String = "1 200 120000 -1 17150 16537 1 0 2 111455 110854 3 0 32 0") -> String {
        "Ip: Forwarding DefaultTTL\nIp: 1 64\n\(snmpNames)\nTcp: \(values)\nUdp: InDatagrams\nUdp: 5\n"
    }

    @Test func readsCountsAndCounters() throws {
        let activity = try NamespaceActivity.parse(sockstat: Self.sockstat, snmp: Self.snmp())
        #expect(activity.inUse == 3)
        #expect(activity.timeWait == 7)
        #expect(activity.tcpCounters == [17150, 16537, 1, 0, 2, 111455, 110854, 3, 0, 32])
        #expect(activity.tcpCounter("InSegs") == 111455)
        #expect(activity.tcpCounter("MaxConn") == nil)
        #expect(!activity.isEmpty)
    }

    @Test func emptyOnlyWithoutHashedAndTimeWaitSockets() throws {
        let empty = try NamespaceActivity.parse(sockstat: "TCP: inuse 0 orphan 4 tw 0 alloc 9 mem 1\n", snmp: Self.snmp())
        #expect(empty.isEmpty)
        let timeWaitOnly = try NamespaceActivity.parse(sockstat: "TCP: inuse 0 orphan 0 tw 1 alloc 9 mem 1\n", snmp: Self.snmp())
        #expect(!timeWaitOnly.isEmpty)
    }

    @Test func anyMovedCounterMakesItDiffer() throws {
        let before = try NamespaceActivity.parse(sockstat: Self.sockstat, snmp: Self.snmp())
        let same = try NamespaceActivity.parse(sockstat: Self.sockstat, snmp: Self.snmp())
        let moved = try NamespaceActivity.parse(sockstat: Self.sockstat, snmp: Self.snmp("1 200 120000 -1 17150 16537 1 0 2 111456 110854 3 0 32 0"))
        #expect(before == same)
        #expect(before != moved)
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
            _ = try NamespaceActivity.parse(sockstat: text, snmp: Self.snmp(), sockstatSource: "s", snmpSource: "n")
            Issue.record("parsed \(text)")
        } catch {
            #expect("\(error.source)\(error.reason.map { ": " + $0 } ?? "")" == source)
        }
    }

    @Test(arguments: [
        ("1 200 120000 -1 17150 16537 1 0 2 111455 110854 3 0 32", "n: Tcp"),
        ("1 200 120000 -1 17150 16537 1 0 2 -5 110854 3 0 32 0", "n: Tcp InSegs"),
        ("1 200 120000 -1 17150 16537 1 0 2 99999999999999999999 110854 3 0 32 0", "n: Tcp InSegs"),
    ])
    func malformedSnmpIsAnError(values: String, source: String) {
        do {
            _ = try NamespaceActivity.parse(sockstat: Self.sockstat, snmp: Self.snmp(values), sockstatSource: "s", snmpSource: "n")
            Issue.record("parsed \(values)")
        } catch {
            #expect(error.source == source)
        }
    }

    @Test func snmpWithoutTcpLinesIsAnError() {
        do {
            _ = try NamespaceActivity.parse(sockstat: Self.sockstat, snmp: "Ip: Forwarding\nIp: 1\n", sockstatSource: "s", snmpSource: "n")
            Issue.record("parsed")
        } catch {
            #expect(error.source == "n")
            #expect(error.description.contains("no Tcp: lines"))
        }
    }
}
