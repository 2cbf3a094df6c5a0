extension IPAddress {
    /// Reads an address as `description` writes it: a dotted quad (decimal 0 … 255 without
    /// sign or leading zeros: `010` is octal to inet_aton, so it is refused, not guessed), or
    /// IPv6 text of one to four hex digits per group with an optional `::` and an optional
    /// dotted quad at the end. Nil for anything else. The one address grammar of twmon
    /// (`metrics.listen` uses it too).
    public init?(text: String) {
        if let bytes = Self.dottedQuad(Substring(text)) {
            var address = SIMD16<UInt8>.zero
            for index in 0..<4 { address[index] = bytes[index] }
            self.init(family: .ipv4, bytes: address)
            return
        }
        guard text.contains(":"), text.utf8.count <= 45 else { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let quad = Self.dottedQuad(piece) {
                    result += [UInt16(quad[0]) << 8 | UInt16(quad[1]), UInt16(quad[2]) << 8 | UInt16(quad[3])]
                } else {
                    guard (1...4).contains(piece.utf8.count), piece.utf8.allSatisfy(\.isHexDigit), let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        var bytes = SIMD16<UInt8>.zero
        for (index, group) in all.enumerated() {
            bytes[2 * index] = UInt8(group >> 8)
            bytes[2 * index + 1] = UInt8(group & 0xFF)
        }
        self.init(family: .ipv6, bytes: bytes)
    }

    private static func dottedQuad(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            let digits = part.utf8
            guard (1...3).contains(digits.count), digits.allSatisfy(\.isDecimalDigit),
                  digits.count == 1 || digits.first != UInt8(ascii: "0"), let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}

extension UInt8 {
    fileprivate var isDecimalDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    fileprivate var isHexDigit: Bool {
        isDecimalDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
