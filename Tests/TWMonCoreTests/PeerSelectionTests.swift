import Testing
@testable import TWMonCore

/// The peers a table reports for a watched port: the `topPeerLimit` with the most TIME_WAIT
/// sockets, chosen by a bounded heap, equal to what a full sort of the tally gives.
@Suite("Top peers")
struct PeerSelectionTests {
    private static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress { IPAddress([a, b, c, d])! }
    private static func mapped(_ v4: IPAddress) -> IPAddress {
        IPAddress([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + (0..<4).map { v4.bytes[$0] })!
    }

    private static func timeWait(port: UInt16, from remote: IPAddress) -> TCPSocketRecord {
        let local = remote.family == .ipv4 ? ipv4(10, 0, 0, 1) : IPAddress([UInt8](repeating: 0, count: 15) + [1])!
        return TCPSocketRecord(
            local: SocketEndpoint(address: local, port: port), remote: SocketEndpoint(address: remote, port: 40_000), state: .timeWait
        )
    }

    /// The reference: every peer counted in a dictionary, sorted whole.
    private static func reference(_ sockets: [(IPAddress, Int)], limit: Int) -> [PeerCount] {
        var counts: [IPAddress: Int] = [:]
        for (address, count) in sockets { counts[address.unmapped, default: 0] += count }
        let sorted = counts.map { PeerCount(address: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.address < $1.address
        }
        return Array(sorted.prefix(limit))
    }

    private static func scan(_ sockets: [(IPAddress, Int)], port: UInt16 = 8080, limit: Int) -> ScanByproducts {
        var builder = PortTableBuilder()
        builder.reset(watchingPeersOf: [port])
        builder.topPeerLimit = limit
        for (address, count) in sockets {
            for _ in 0..<count { builder.add(timeWait(port: port, from: address)) }
        }
        // A port that is not watched tallies nothing.
        builder.add(timeWait(port: port + 1, from: ipv4(192, 0, 2, 1)))
        return builder.byproducts()
    }

    /// Twelve peers with 1...12 sockets, one of them also seen as IPv4-mapped IPv6 (merged),
    /// and ties broken towards the lower address.
    static let sockets: [(IPAddress, Int)] = (1...12).map { (ipv4(10, 0, 0, UInt8($0)), $0) }
        + [(mapped(ipv4(10, 0, 0, 2)), 10), (ipv4(10, 0, 0, 200), 12), (IPAddress([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7])!, 12)]

    @Test(arguments: [0, 1, 3, 5, 8, 15, 100])
    func topPeerLimitIsHonoured(limit: Int) {
        let top = Self.scan(Self.sockets, limit: limit).topPeers[8080]
        #expect(top == Self.reference(Self.sockets, limit: limit))
        #expect(top?.count == min(limit, 14))
        #expect(Self.scan(Self.sockets, limit: limit).topPeers[8081] == nil)
    }

    @Test func rankingOfTheFirstFive() {
        let top = Self.scan(Self.sockets, limit: 5).topPeers[8080]?.map { "\($0.address)=\($0.count)" }
        // 10.0.0.2 has 2 sockets as IPv4 and 10 as ::ffff:10.0.0.2; IPv4 ranks before IPv6 on a tie.
        #expect(top == ["10.0.0.2=12", "10.0.0.12=12", "10.0.0.200=12", "2001:db8::7=12", "10.0.0.11=11"])
    }

    /// Many peers with random counts, offered in random order: the same as the full sort.
    @Test(arguments: [1, 5, 37, 100])
    func agreesWithAFullSort(limit: Int) {
        var generator = SplitMix64(seed: UInt64(limit))
        let sockets: [(IPAddress, Int)] = (0..<3_000).map { index in
            let address = Self.ipv4(127, UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF), UInt8(generator.next() % 4))
            return (generator.next() % 5 == 0 ? Self.mapped(address) : address, Int(generator.next() % 6) + 1)
        }
        #expect(Self.scan(sockets, limit: limit).topPeers[8080] == Self.reference(sockets, limit: limit))
    }

    /// The /proc path counts in batches (`enqueue`/`flush`): the same peers as one at a time,
    /// for tables of 1 ... 5000 TIME_WAIT rows on one port, many distinct peers, fed in pieces.
    @Test(arguments: [1, 31, 32, 33, 1_000, 5_000])
    func batchedProcTallyAgreesWithTheReference(rows: Int) {
        var generator = SplitMix64(seed: UInt64(rows))
        var text = "  sl  local_address rem_address   st\n"
        var sockets: [(IPAddress, Int)] = []
        for row in 0..<rows {
            let peer = Self.ipv4(127, 1, UInt8(generator.next() % 7), UInt8(generator.next() % 200))
            let hex = (0..<4).reversed().map { String(peer.bytes[$0], radix: 16, uppercase: true) }
                .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            text += "\(row): 0100007F:1F90 \(hex):9C40 06 00000000:00000000 03:00001770 00000000 0 0 0\n"
            sockets.append((peer, 1))
        }
        let bytes = Array(text.utf8)
        var builder = PortTableBuilder()
        builder.reset(watchingPeersOf: [8080])
        builder.topPeerLimit = 10
        // Fed in pieces of whole lines, as the reader hands them over.
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        for (index, chunk) in lines.chunks(of: 97).enumerated() {
            let piece = chunk.flatMap { $0 + [UInt8(ascii: "\n")] }
            piece.withUnsafeBytes { builder.addProcTable($0, family: .ipv4, startsFile: index == 0) }
        }
        #expect(builder.byproducts().topPeers[8080] == Self.reference(sockets, limit: 10))
    }

    @Test func addressesOrderNumerically() {
        #expect(Self.ipv4(10, 0, 0, 9) < Self.ipv4(10, 0, 0, 10))
        #expect(Self.ipv4(255, 255, 255, 255) < IPAddress([UInt8](repeating: 0, count: 16))!)
        #expect(!(Self.ipv4(10, 0, 0, 9) < Self.ipv4(10, 0, 0, 9)))
    }
}

private extension Collection {
    func chunks(of size: Int) -> [SubSequence] {
        stride(from: 0, to: count, by: size).map { offset in
            let start = index(startIndex, offsetBy: offset)
            return self[start..<index(start, offsetBy: Swift.min(size, count - offset))]
        }
    }
}
