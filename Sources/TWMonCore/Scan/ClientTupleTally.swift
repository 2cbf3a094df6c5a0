/// Counts client sockets per (local address, remote address, remote port) without an
/// allocation per socket: an open-addressing table of plain slots kept across scans (it grows
/// only when a scan has more destinations than any before). IPv4-mapped addresses are counted
/// as their IPv4 address: such a socket takes its port from the same range. The hash is keyed
/// with a random seed per table, since remote addresses are chosen by others.
@usableFromInline
struct ClientTupleTally: Sendable {
    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline var local: SIMD2<UInt64>
        @usableFromInline var remote: SIMD2<UInt64>
        /// `remotePort << 2 | 1` for IPv4, `| 2` for IPv6; 0 marks an empty slot.
        @usableFromInline var tag: UInt32
        @usableFromInline var sockets: UInt32
        @usableFromInline var timeWait: UInt32

        @usableFromInline static let empty = Slot(local: .zero, remote: .zero, tag: 0, sockets: 0, timeWait: 0)

        @usableFromInline init(local: SIMD2<UInt64>, remote: SIMD2<UInt64>, tag: UInt32, sockets: UInt32, timeWait: UInt32) {
            self.local = local
            self.remote = remote
            self.tag = tag
            self.sockets = sockets
            self.timeWait = timeWait
        }
    }

    /// A power of two, at most half full.
    @usableFromInline var slots = [Slot](repeating: .empty, count: 64)
    /// Indices of the slots in use.
    @usableFromInline var used: [Int] = []
    @usableFromInline let seed = UInt64.random(in: .min ... .max)

    @usableFromInline init() {}

    /// Counts one socket.
    @inlinable
    mutating func add(local: IPAddress, remote: IPAddress, remotePort: UInt16, timeWait: Bool) {
        let local = local.unmapped, remote = remote.unmapped
        let key = Slot(
            local: unsafeBitCast(local.bytes, to: SIMD2<UInt64>.self), remote: unsafeBitCast(remote.bytes, to: SIMD2<UInt64>.self),
            tag: UInt32(remotePort) << 2 | (remote.family == .ipv4 ? 1 : 2), sockets: 0, timeWait: 0)
        if used.count * 2 >= slots.count { grow() }
        var index = hash(key) & (slots.count - 1)
        while true {
            let slot = slots[index]
            if slot.tag == 0 {
                slots[index] = key
                used.append(index)
                break
            }
            if slot.tag == key.tag && slot.local == key.local && slot.remote == key.remote { break }
            index = (index + 1) & (slots.count - 1)
        }
        slots[index].sockets &+= 1
        if timeWait { slots[index].timeWait &+= 1 }
    }

    @inlinable
    func hash(_ key: Slot) -> Int {
        let factor: UInt64 = 0x9E37_79B9_7F4A_7C15
        var value = seed
        @inline(__always) func mix(_ word: UInt64) {
            value = (value ^ word) &* factor
            value ^= value >> 29
        }
        mix(key.local[0]); mix(key.local[1]); mix(key.remote[0]); mix(key.remote[1]); mix(UInt64(key.tag))
        return Int(truncatingIfNeeded: value)
    }

    @usableFromInline
    mutating func grow() {
        let old = used.map { slots[$0] }
        slots = [Slot](repeating: .empty, count: slots.count * 2)
        used.removeAll(keepingCapacity: true)
        for slot in old {
            var index = hash(slot) & (slots.count - 1)
            while slots[index].tag != 0 { index = (index + 1) & (slots.count - 1) }
            slots[index] = slot
            used.append(index)
        }
    }

    /// Forgets the counts, keeping the storage.
    mutating func removeAll() {
        for index in used { slots[index] = .empty }
        used.removeAll(keepingCapacity: true)
    }

    /// The destinations with at least `floor` sockets.
    func tallies(atLeast floor: Int) -> [ClientTupleCount] {
        used.compactMap { index in
            let slot = slots[index]
            guard Int(slot.sockets) >= floor else { return nil }
            let family: AddressFamily = slot.tag & 3 == 1 ? .ipv4 : .ipv6
            return ClientTupleCount(
                tuple: ClientTuple(
                    localAddress: IPAddress(family: family, bytes: unsafeBitCast(slot.local, to: SIMD16<UInt8>.self)),
                    remoteAddress: IPAddress(family: family, bytes: unsafeBitCast(slot.remote, to: SIMD16<UInt8>.self)),
                    remotePort: UInt16(truncatingIfNeeded: slot.tag >> 2)),
                sockets: Int(slot.sockets), timeWait: Int(slot.timeWait))
        }.sorted { $0.tuple < $1.tuple }
    }
}

/// The client sockets of one destination in a scan.
public struct ClientTupleCount: Sendable, Equatable {
    public var tuple: ClientTuple
    /// Sockets holding a local port for the destination, in any state but LISTEN.
    public var sockets: Int
    /// Those in TIME_WAIT.
    public var timeWait: Int

    public init(tuple: ClientTuple, sockets: Int, timeWait: Int) {
        self.tuple = tuple
        self.sockets = sockets
        self.timeWait = timeWait
    }
}
