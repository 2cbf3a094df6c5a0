import Testing
@testable import TWMonCore

@Suite("Per-port table")
struct PortTableTests {
    /// The captured tables of one namespace: 8080 (IPv4 server), 8443 (IPv6 server), 9000
    /// (dual-stack server reached over IPv4).
    private func capturedTable(watching ports: [UInt16] = []) throws -> PortTable {
        try capturedScan(watching: ports).table
    }

    private func capturedScan(watching ports: [UInt16] = []) throws -> ScanResult {
        var builder = PortTableBuilder()
        builder.reset(watchingPeersOf: ports)
        for (name, family) in [("tcp-ipv4.txt", AddressFamily.ipv4), ("tcp6-mixed.txt", .ipv6)] {
            try Fixture.bytes(name).withUnsafeBytes { builder.addProcTable($0, family: family) }
        }
        return builder.result()
    }

    @Test func countsStatesPerPortAcrossFamilies() throws {
        let table = try capturedTable()
        let http = try #require(table[port: 8080])
        #expect(http.listening)
        #expect(http.states == StateCounts([.listen: 1, .established: 2, .timeWait: 3, .closeWait: 1]))
        #expect(http.ipv6.isEmpty)

        let dualStack = try #require(table[port: 9000])
        #expect(dualStack.listening)
        #expect(dualStack.ipv6 == StateCounts([.listen: 1, .established: 1, .timeWait: 2]))
        #expect(dualStack.ipv4.isEmpty)

        let https = try #require(table[port: 8443])
        #expect(https.states == StateCounts([.listen: 1, .established: 1, .timeWait: 2]))

        // The clients' ends: ephemeral ports, no LISTEN there.
        let clientPorts = table.ports.filter { !$0.listening }
        #expect(clientPorts.count == 5)
        #expect(clientPorts.allSatisfy { $0.timeWait == 0 })
    }

    @Test func totalsCoverTheWholeNamespace() throws {
        let table = try capturedTable()
        #expect(table.totals == StateCounts([.listen: 3, .established: 8, .timeWait: 7, .closeWait: 1, .finWait2: 1]))
        #expect(table.totals.total == 20)
        #expect(table.totals(for: .ipv6).total == 9)
        #expect(table.malformedRows == 0)
    }

    @Test func portsAreAscendingAndLookupFindsThem() throws {
        let table = try capturedTable()
        #expect(table.ports.map(\.port) == table.ports.map(\.port).sorted())
        #expect(table[port: 1] == nil)
    }

    @Test func rankingPutsTimeWaitFirstAndFilters() throws {
        let table = try capturedTable()
        #expect(table.ranked().prefix(3).map(\.port) == [8080, 8443, 9000])
        #expect(table.ranked(listeningOnly: true).map(\.port) == [8080, 8443, 9000])
        #expect(table.ranked(state: .closeWait).map(\.port) == [8080])
        #expect(table.ranked(state: .finWait2).count == 1)
        #expect(table.ranked(limit: 2).count == 2)
    }

    @Test func tallysTimeWaitPeersOnlyForWatchedPorts() throws {
        let peers = try capturedScan(watching: [9000, 8443]).byproducts.topPeers
        #expect(peers[9000] == [PeerCount(address: IPAddress([127, 0, 0, 1])!, count: 2)])
        #expect(peers[8443]?.first?.address.description == "::1")
        #expect(peers[8080] == nil)
    }

    @Test func builderForgetsThePreviousScan() throws {
        var builder = PortTableBuilder()
        builder.add(localPort: 80, state: .timeWait, family: .ipv4)
        builder.addMalformedRows(2)
        builder.reset()
        builder.add(localPort: 443, state: .listen, family: .ipv6)
        let table = builder.build()
        #expect(table.ports.map(\.port) == [443])
        #expect(table.malformedRows == 0)
    }
}
