/// Counts TIME_WAIT sockets per (local port, remote address) at the cost of one cheap probe per
/// socket: an open-addressing table of plain slots, kept across scans.
///
/// A port in alert may hold 100 000 TIME_WAIT sockets, each tallied in every scan; a
/// `Dictionary` keyed by port and address spends ≈200 ns per socket there (SipHash, reference
/// counting), this table a few nanoseconds.
@usableFromInline
struct PeerTally: Sendable {
    @usableFromInline
    struct Slot: Sendable {
        /// The address bytes as two words; `tag` 0 marks an empty slot.
        @usableFromInline var words: SIMD2<UInt64>
        /// `port << 2 | 1` for IPv4, `port << 2 | 2` for IPv6.
        @usableFromInline var tag: UInt32
        @usableFromInline var count: UInt32

        @usableFromInline static let empty = Slot(words: .zero, tag: 0, count: 0)

        @usableFromInline init(words: SIMD2<UInt64>, tag: UInt32, count: UInt32) {
            self.words = words
            self.tag = tag
            self.count = count
        }
    }

    /// A power of two, at most half full.
    @usableFromInline var slots = [Slot](repeating: .empty, count: 64)
    /// Indices of the slots in use, to clear and to list them.
    @usableFromInline var used: [Int] = []

    @usableFromInline init() {}

    /// Counts one socket of `port` held by `address`.
    @inlinable
    mutating func add(port: UInt16, address: IPAddress) {
        let words = unsafeBitCast(address.bytes, to: SIMD2<UInt64>.self)
        let tag = UInt32(port) << 2 | (address.family == .ipv4 ? 1 : 2)
        let mask = slots.count - 1
        var mixed = (words[0] ^ (words[1] &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(tag)) &* 0xC2B2_AE3D_27D4_EB4F
        mixed ^= mixed >> 32
        var index = Int(truncatingIfNeeded: mixed) & mask
        while true {
            let slot = slots[index]
            if slot.tag == tag && slot.words == words {
                slots[index].count &+= 1
                return
            }
            if slot.tag == 0 { break }
            index = (index &+ 1) & mask
        }
        slots[index] = Slot(words: words, tag: tag, count: 1)
        used.append(index)
        if used.count * 2 > slots.count { grow() }
    }

    /// Forgets every count, keeping the storage.
    mutating func removeAll() {
        for index in used { slots[index] = .empty }
        used.removeAll(keepingCapacity: true)
    }

    /// The counts, one per (port, address) as added.
    var entries: [(port: UInt16, address: IPAddress, count: Int)] {
        used.map { index in
            let slot = slots[index]
            let address = IPAddress(
                family: slot.tag & 3 == 1 ? .ipv4 : .ipv6, bytes: unsafeBitCast(slot.words, to: SIMD16<UInt8>.self)
            )
            return (UInt16(truncatingIfNeeded: slot.tag >> 2), address, Int(slot.count))
        }
    }

    @usableFromInline
    mutating func grow() {
        let entries = self.entries
        slots = [Slot](repeating: .empty, count: slots.count * 2)
        used.removeAll(keepingCapacity: true)
        for entry in entries {
            add(port: entry.port, address: entry.address)
            slots[used[used.count - 1]].count = UInt32(entry.count)
        }
    }
}
