/// An IPv4 or IPv6 address held as 16 bytes in network order, without allocation.
///
/// IPv4 addresses occupy the first four bytes. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`,
/// how a dual-stack listener sees IPv4 clients) stay IPv6 here; `unmapped` turns them into IPv4.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public let family: AddressFamily
    /// The address bytes in network order; only the first four are used for IPv4.
    public let bytes: SIMD16<UInt8>

    /// An address from its bytes in network order (4 for IPv4, 16 for IPv6).
    public init?(_ octets: [UInt8]) {
        switch octets.count {
        case 4:
            var bytes = SIMD16<UInt8>.zero
            for index in 0..<4 { bytes[index] = octets[index] }
            self.init(family: .ipv4, bytes: bytes)
        case 16:
            var bytes = SIMD16<UInt8>.zero
            for index in 0..<16 { bytes[index] = octets[index] }
            self.init(family: .ipv6, bytes: bytes)
        default:
            return nil
        }
    }

    @inlinable
    public init(family: AddressFamily, bytes: SIMD16<UInt8>) {
        self.family = family
        self.bytes = bytes
    }

    /// True for `::ffff:a.b.c.d`.
    public var isIPv4Mapped: Bool {
        guard family == .ipv6 else { return false }
        for index in 0..<10 where bytes[index] != 0 { return false }
        return bytes[10] == 0xFF && bytes[11] == 0xFF
    }

    /// The IPv4 address behind an IPv4-mapped IPv6 address; any other address unchanged.
    public var unmapped: IPAddress {
        guard isIPv4Mapped else { return self }
        var v4 = SIMD16<UInt8>.zero
        for index in 0..<4 { v4[index] = bytes[12 + index] }
        return IPAddress(family: .ipv4, bytes: v4)
    }

    /// Dotted quad for IPv4; RFC 5952 text for IPv6 (`::1`, `2001:db8::7`, `::ffff:10.0.0.1`).
    public var description: String {
        switch family {
        case .ipv4:
            return "\(bytes[0]).\(bytes[1]).\(bytes[2]).\(bytes[3])"
        case .ipv6:
            if isIPv4Mapped {
                return "::ffff:\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
            }
            let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
            // The longest run of two or more zero groups is written as "::" (first one on a tie).
            var bestStart = -1, bestLength = 0, runStart = -1
            for index in 0...8 {
                if index < 8 && groups[index] == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                    runStart = -1
                }
            }
            if bestLength < 2 { bestStart = -1 }
            let hex = groups.map { String($0, radix: 16) }
            guard bestStart >= 0 else { return hex.joined(separator: ":") }
            let head = hex[0..<bestStart].joined(separator: ":")
            let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
            return head + "::" + tail
        }
    }
}

/// An address and a port.
public struct SocketEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `1.2.3.4:80` or `[::1]:80`, as `ss` prints it.
    public var description: String {
        switch address.family {
        case .ipv4: "\(address):\(port)"
        case .ipv6: "[\(address)]:\(port)"
        }
    }
}

/// One socket as a row of the kernel's table describes it.
public struct TCPSocketRecord: Sendable, Hashable {
    public var local: SocketEndpoint
    public var remote: SocketEndpoint
    public var state: TCPState

    public init(local: SocketEndpoint, remote: SocketEndpoint, state: TCPState) {
        self.local = local
        self.remote = remote
        self.state = state
    }
}

extension IPAddress: Comparable {
    /// IPv4 before IPv6; within a family, numerically (the bytes in network order).
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family == .ipv4 }
        let left = lhs.orderedWords, right = rhs.orderedWords
        return left.high != right.high ? left.high < right.high : left.low < right.low
    }

    /// The 16 bytes as two numbers, first byte most significant, whatever the host's order.
    private var orderedWords: (high: UInt64, low: UInt64) {
        let words = unsafeBitCast(bytes, to: SIMD2<UInt64>.self)
        return (UInt64(bigEndian: words[0]), UInt64(bigEndian: words[1]))
    }
}
