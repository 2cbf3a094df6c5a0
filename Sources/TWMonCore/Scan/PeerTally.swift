/// Counts TIME_WAIT sockets per (local port, remote address) at the cost of one cheap probe per
/// socket: an open-addressing table of plain slots, kept across scans.
///
/// A port in alert may hold 100 000 TIME_WAIT sockets, each tallied in every scan; a
/// `Dictionary` keyed by port and address spends ≈200 ns per socket there (SipHash, reference
/// counting), this table a few nanoseconds — when its slot is in the cache. With tens of
/// thousands of distinct peers the table outgrows the cache and each count is a memory access,
/// so the /proc scan queues its sockets (`enqueue`) and counts them in batches (`flush`): the
/// slots of a batch are loaded together, their memory accesses overlapping, before they are
/// counted. IPv4-mapped IPv6 addresses are counted as their
/// IPv4 address, so each (port, address) has one slot. The hash is keyed with a random seed
/// per table: remote addresses are chosen by whoever connects, and a fixed hash would let
/// them be chosen to collide.
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
    @usableFromInline let seed = UInt64.random(in: .min ... .max)
    /// Sockets queued by `enqueue`, counted by `flush`: keys and their hashes.
    @usableFromInline var pending: [(key: Slot, hash: Int)] = []
    /// Where the loads that warm a batch's slots go, so that they are not optimised away.
    @usableFromInline var warmed: UInt32 = 0
    /// Sockets per batch.
    @usableFromInline static let batch = 32

    @usableFromInline init() {
        pending.reserveCapacity(Self.batch)
    }

    /// Counts one socket of `port` held by `address`.
    @inlinable
    mutating func add(port: UInt16, address: IPAddress) {
        let key = Self.key(port: port, address: address)
        count(key, hash: hash(key))
    }

    /// Queues one socket of `port` held by `address`; it is counted by the next `flush`, at
    /// the latest when the batch is full.
    @inlinable
    mutating func enqueue(port: UInt16, address: IPAddress) {
        let key = Self.key(port: port, address: address)
        pending.append((key, hash(key)))
        if pending.count == Self.batch { flush() }
    }

    /// Counts the queued sockets: first a load of each one's home slot (independent loads the
    /// processor overlaps), then the counting itself, mostly from the cache.
    @inlinable
    mutating func flush() {
        let mask = slots.count - 1
        var touched: UInt32 = 0
        for entry in pending { touched &+= slots[entry.hash & mask].tag }
        warmed = touched
        for entry in pending { count(entry.key, hash: entry.hash) }
        pending.removeAll(keepingCapacity: true)
    }

    /// The slot key of a socket (count 1): IPv4-mapped addresses as IPv4.
    @inlinable @inline(__always)
    static func key(port: UInt16, address: IPAddress) -> Slot {
        let address = address.family == .ipv6 ? address.unmapped : address
        let tag = UInt32(port) << 2 | (address.family == .ipv4 ? 1 : 2)
        return Slot(words: unsafeBitCast(address.bytes, to: SIMD2<UInt64>.self), tag: tag, count: 1)
    }

    @inlinable @inline(__always)
    func hash(_ key: Slot) -> Int {
        Int(truncatingIfNeeded: Self.mix(Self.mix(key.words[0] ^ seed) &+ key.words[1] ^ UInt64(key.tag)))
    }

    @inlinable @inline(__always)
    mutating func count(_ key: Slot, hash: Int) {
        let index = probe(words: key.words, tag: key.tag, hash: hash)
        if slots[index].tag == key.tag {
            slots[index].count &+= 1
            return
        }
        slots[index] = key
        used.append(index)
        if used.count * 2 > slots.count { grow() }
    }

    /// The slot holding (`words`, `tag`), or the empty slot where it belongs.
    @inlinable @inline(__always)
    func probe(words: SIMD2<UInt64>, tag: UInt32, hash: Int) -> Int {
        let mask = slots.count - 1
        var index = hash & mask
        while true {
            let slot = slots[index]
            if slot.tag == 0 || (slot.tag == tag && slot.words == words) { return index }
            index = (index &+ 1) & mask
        }
    }

    /// A bijective 64-bit finalizer (MurmurHash3's): every input bit reaches every output bit.
    @inlinable @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var value = value
        value ^= value >> 33
        value &*= 0xFF51_AFD7_ED55_8CCD
        value ^= value >> 33
        value &*= 0xC4CE_B9FE_1A85_EC53
        return value ^ value >> 33
    }

    /// Forgets every count, keeping the storage.
    mutating func removeAll() {
        for index in used { slots[index] = .empty }
        used.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with each (port, address, count), in no particular order (after `flush`:
    /// queued sockets are not counted yet). A table at
    /// least an eighth full is walked in memory order (the hardware prefetches it); a sparser
    /// one through the list of used slots.
    func forEachEntry(_ body: (UInt16, IPAddress, Int) -> Void) {
        func visit(_ slot: Slot) {
            let address = IPAddress(
                family: slot.tag & 3 == 1 ? .ipv4 : .ipv6, bytes: unsafeBitCast(slot.words, to: SIMD16<UInt8>.self)
            )
            body(UInt16(truncatingIfNeeded: slot.tag >> 2), address, Int(slot.count))
        }
        if used.count * 8 >= slots.count {
            for slot in slots where slot.tag != 0 { visit(slot) }
        } else {
            for index in used { visit(slots[index]) }
        }
    }

    @usableFromInline
    mutating func grow() {
        let old = slots, oldUsed = used
        slots = [Slot](repeating: .empty, count: slots.count * 2)
        used.removeAll(keepingCapacity: true)
        for oldIndex in oldUsed {
            let slot = old[oldIndex]
            let index = probe(words: slot.words, tag: slot.tag, hash: hash(slot))
            slots[index] = slot
            used.append(index)
        }
    }
}
