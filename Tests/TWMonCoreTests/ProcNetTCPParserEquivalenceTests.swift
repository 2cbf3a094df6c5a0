import Testing
@testable import TWMonCore

/// The fast parser (word-at-a-time hex checks, newline search after the last column, addresses
/// decoded only on demand) must read exactly what the row grammar says, byte for byte, on any
/// input: here it is compared with the grammar written the plain way, on the captured tables
/// and on thousands of damaged copies of them.
@Suite("Parser agrees with the plain row grammar")
struct ProcNetTCPParserEquivalenceTests {
    static let fixtures = ["tcp-ipv4.txt", "tcp6-ipv6.txt", "tcp6-mapped.txt", "tcp6-mixed.txt", "header-only.txt", "tcp-malformed.txt"]

    @Test(arguments: fixtures)
    func capturedTablesParseAlike(_ name: String) throws {
        let text = try Fixture.bytes(name)
        for family in AddressFamily.allCases {
            expectSameReading(text, family: family)
        }
    }

    /// Bytes replaced, inserted or deleted anywhere, including in every hex digit, colon, blank
    /// and newline of the rows; the damaged text is also read in pieces cut at line ends.
    @Test(arguments: ["tcp-ipv4.txt", "tcp6-mixed.txt"])
    func damagedTablesParseAlike(_ name: String) throws {
        let original = try Fixture.bytes(name)
        var random = SplitMix64(seed: 0x7477_6D6F_6E + UInt64(original.count))
        let replacements = Array("0123456789abcdefABCDEFgGzZ: \t\r\n".utf8) + [0x00, 0x2F, 0x3A, 0x40, 0x47, 0x60, 0x67, 0x7F, 0x80, 0xB0, 0xC6, 0xFF]
        for _ in 0..<800 {
            var text = original
            for _ in 0..<(1 + random.next(below: 4)) {
                let position = random.next(below: text.count + 1)
                let replacement = replacements[random.next(below: replacements.count)]
                switch random.next(below: 6) {
                case 0 where position < text.count: text.remove(at: position)
                case 1: text.insert(replacement, at: position)
                case 2: text.removeSubrange(position...)
                default:
                    if position < text.count { text[position] = replacement }
                }
            }
            for family in AddressFamily.allCases {
                expectSameReading(text, family: family)
                expectSameTableInPieces(text, family: family, random: &random)
            }
        }
    }

    @Test func lowercaseHexAndTabsAreAccepted() {
        let row = "\t0:\t0100007f:1f90\t0100007f:db60\t0a\r"
        let parsed = ProcNetTCPParser.records(in: Array(row.utf8), family: .ipv4)
        #expect(parsed.malformedRows == 0)
        #expect(parsed.records.first?.local.description == "127.0.0.1:8080")
        #expect(parsed.records.first?.remote.description == "127.0.0.1:56160")
        #expect(parsed.records.first?.state == .listen)
    }

    /// Every character of the addresses and ports, replaced by a non-hex byte, makes the row
    /// malformed — whether the scan decodes that column or only checks it.
    @Test(arguments: AddressFamily.allCases)
    func badHexAnywhereInAddressesOrPortsIsMalformed(_ family: AddressFamily) {
        let address = family == .ipv4 ? "0100007F" : "0000000000000000FFFF00000100007F"
        let row = Array("   0: \(address):1F90 \(address):DB60 06 00000000:00000000".utf8)
        let columns = 6..<(6 + 2 * (address.count + 6) - 1)
        for position in columns where row[position] != UInt8(ascii: ":") && row[position] != UInt8(ascii: " ") {
            for bad in Array("gG:/@` \n".utf8) + [0x00, 0x80, 0xC1] {
                var damaged = row
                damaged[position] = bad
                let parsed = ProcNetTCPParser.records(in: damaged, family: family)
                #expect(parsed.records.isEmpty, "byte \(bad) at \(position)")
                #expect(parsed.malformedRows >= 1, "byte \(bad) at \(position)")
            }
        }
        #expect(ProcNetTCPParser.records(in: row, family: family).records.count == 1)
    }

    /// A piece that does not start the file has no header: a first line starting with `sl`
    /// there is a malformed row.
    @Test func onlyTheFirstPieceHasAHeader() {
        let text = Array("  sl  local_address rem_address   st\n".utf8)
        let counted = text.withUnsafeBytes { ProcNetTCPParser.forEachRow(in: $0, family: .ipv4, startsFile: false) { _ in } }
        let skipped = text.withUnsafeBytes { ProcNetTCPParser.forEachRow(in: $0, family: .ipv4) { _ in } }
        #expect(counted == 1 && skipped == 0)
    }

    // MARK: - Helpers

    private func expectSameReading(_ text: [UInt8], family: AddressFamily, sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = ProcNetTCPParser.records(in: text, family: family)
        let plain = PlainRowGrammar.records(in: text, family: family)
        #expect(fast.records == plain.records, "\(String(decoding: text, as: UTF8.self))", sourceLocation: sourceLocation)
        #expect(fast.malformedRows == plain.malformedRows, "\(String(decoding: text, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    /// The table built from the whole text equals the one built from pieces cut after newlines
    /// (how `ProcNetSource` feeds the builder), peers of every port tallied.
    private func expectSameTableInPieces(_ text: [UInt8], family: AddressFamily, random: inout SplitMix64) {
        let allPorts = Set(PlainRowGrammar.records(in: text, family: family).records.map(\.local.port))
        var whole = PortTableBuilder()
        whole.reset(watchingPeersOf: allPorts)
        text.withUnsafeBytes { whole.addProcTable($0, family: family) }

        let newlineEnds = text.indices.filter { text[$0] == UInt8(ascii: "\n") }.map { $0 + 1 }
        var cuts = newlineEnds.filter { _ in random.next(below: 3) == 0 }
        if cuts.last != text.count { cuts.append(text.count) }
        var pieces = PortTableBuilder()
        pieces.reset(watchingPeersOf: allPorts)
        var start = 0
        for cut in cuts where cut > start {
            text[start..<cut].withUnsafeBytes { pieces.addProcTable($0, family: family, startsFile: start == 0) }
            start = cut
        }
        #expect(whole.build() == pieces.build())
    }
}

/// The row grammar of /proc/net/tcp written the plain way, byte by byte on arrays: the slot
/// number and a colon, blanks, `ADDRESS:PORT` (8 or 32 hex digits, a colon, 4 hex digits) twice,
/// each after blanks, then blanks and a two-digit hex state of 1…12 that ends the line or is
/// followed by a space, tab or carriage return. Only the first line may be the header (blanks,
/// then `sl`). The text's last newline ends its last line.
enum PlainRowGrammar {
    static func records(in text: [UInt8], family: AddressFamily) -> (records: [TCPSocketRecord], malformedRows: Int) {
        guard !text.isEmpty else { return ([], 0) }
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        if text.last == UInt8(ascii: "\n") { lines.removeLast() }
        var records: [TCPSocketRecord] = []
        var malformed = 0
        for (index, line) in lines.enumerated() {
            if index == 0 && isHeader(line) { continue }
            if let record = row(line, family: family) { records.append(record) } else { malformed += 1 }
        }
        return (records, malformed)
    }

    static func isHeader(_ line: [UInt8]) -> Bool {
        let rest = line.drop { $0 == UInt8(ascii: " ") }
        return rest.starts(with: Array("sl".utf8))
    }

    static func row(_ line: [UInt8], family: AddressFamily) -> TCPSocketRecord? {
        var index = 0
        func blanks() -> Bool {
            let start = index
            while index < line.count && (line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t")) { index += 1 }
            return index > start
        }
        func hex(_ count: Int) -> UInt32? {
            guard index + count <= line.count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<count {
                let character = line[index + offset]
                let digit: UInt32
                switch character {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(character - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(character - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(character - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            index += count
            return value
        }
        func colon() -> Bool {
            guard index < line.count, line[index] == UInt8(ascii: ":") else { return false }
            index += 1
            return true
        }
        func endpoint() -> SocketEndpoint? {
            var octets: [UInt8] = []
            for _ in 0..<(family == .ipv4 ? 1 : 4) {
                guard let word = hex(8) else { return nil }
                // The kernel prints each 32-bit word in host order (little-endian here).
                octets += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24)]
            }
            guard colon(), let port = hex(4) else { return nil }
            return SocketEndpoint(address: IPAddress(octets)!, port: UInt16(port))
        }

        _ = blanks()
        let slotStart = index
        while index < line.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[index]) { index += 1 }
        guard index > slotStart, colon() else { return nil }
        guard blanks(), let local = endpoint(), blanks(), let remote = endpoint(), blanks(), let rawState = hex(2) else { return nil }
        guard index == line.count || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(line[index]),
              let state = TCPState(rawValue: UInt8(rawState))
        else { return nil }
        return TCPSocketRecord(local: local, remote: remote, state: state)
    }
}

/// A small deterministic generator, so a failure can be reproduced.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
