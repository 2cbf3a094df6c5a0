/// Accumulates socket rows into per-port counts. Reused across scans: its storage is kept, so
/// a steady-state scan allocates nothing per row.
public struct PortTableBuilder: Sendable {
    @usableFromInline
    struct Accumulator: Sendable {
        @usableFromInline var port: UInt16
        @usableFromInline var ipv4 = StateCounts()
        @usableFromInline var ipv6 = StateCounts()
        @usableFromInline init(port: UInt16) { self.port = port }
        @usableFromInline var recentCloses = RecentCloses()
        /// TIME_WAIT sockets younger than `newCloseWindowMilliseconds`.
        @usableFromInline var newCloses = 0
        /// The cgroup id of the port's first LISTEN socket, 0 when none is known.
        @usableFromInline var listenerCgroupID: UInt64 = 0
    }

    /// Index into `accumulators` for each port, or -1.
    @usableFromInline var slotByPort: [Int32]
    @usableFromInline var accumulators: [Accumulator]
    @usableFromInline var malformedRows = 0
    /// Ports whose TIME_WAIT peers are tallied (a bitmap over all 65 536 ports).
    @usableFromInline var peerWatch: [UInt64]
    @usableFromInline var watchesPeers = false
    /// TIME_WAIT sockets per watched port and remote address (IPv4-mapped addresses counted
    /// as their IPv4 address).
    @usableFromInline var peers = PeerTally()

    /// How many peers per port a table reports (`alert.top_peers`).
    public var topPeerLimit = 5

    /// The CLOSE_WAIT sockets of the scan with their inodes (few; storage kept across scans).
    @usableFromInline var closeWaitSockets: [CloseWaitSocket] = []
    /// Client sockets per destination, when `clientTupleFloor` is set.
    @usableFromInline var clientTuples = ClientTupleTally()
    /// The ephemeral range as `low` and `high - low`; client sockets are tallied only while
    /// `talliesClients`.
    @usableFromInline var ephemeralLow: UInt16 = 0
    @usableFromInline var ephemeralSpan: UInt16 = 0
    @usableFromInline var talliesClients = false
    /// Destinations with fewer sockets are left out of the table.
    @usableFromInline var clientTupleFloor = 1
    /// Ports with a LISTEN socket in this scan and in the previous one (bitmaps): their
    /// sockets are server sockets, whatever their port. Listeners come first in both sources'
    /// dumps; the previous scan's covers a listener of the other family read later.
    @usableFromInline var listening: [UInt64]
    @usableFromInline var listenedBefore: [UInt64]
    /// The time since the previous scan, in milliseconds (0: no previous scan): TIME_WAIT sockets
    /// younger than this closed since then and are counted in `ScanByproducts.newActiveCloses`.
    public var newCloseWindowMilliseconds = 0

    public init() {
        slotByPort = Array(repeating: -1, count: 65_536)
        accumulators = []
        accumulators.reserveCapacity(1_024)
        peerWatch = Array(repeating: 0, count: 65_536 / 64)
        listening = Array(repeating: 0, count: 65_536 / 64)
        listenedBefore = Array(repeating: 0, count: 65_536 / 64)
    }

    /// Tallies client sockets (local port in `range`, not a listening port) per destination in
    /// the next scans, reporting destinations with at least `floor` sockets; nil stops it.
    public mutating func tallyClients(in range: EphemeralPortRange?, floor: Int?) {
        guard let range, let floor else {
            talliesClients = false
            return
        }
        talliesClients = true
        ephemeralLow = range.low
        ephemeralSpan = range.high &- range.low
        clientTupleFloor = max(1, floor)
    }

    /// Forgets the previous scan's rows; `watchingPeersOf` names the ports whose TIME_WAIT
    /// remote addresses the next scan tallies.
    public mutating func reset(watchingPeersOf ports: some Sequence<UInt16> = [UInt16]()) {
        for accumulator in accumulators { slotByPort[Int(accumulator.port)] = -1 }
        accumulators.removeAll(keepingCapacity: true)
        malformedRows = 0
        for index in peerWatch.indices { peerWatch[index] = 0 }
        watchesPeers = false
        peers.removeAll()
        closeWaitSockets.removeAll(keepingCapacity: true)
        clientTuples.removeAll()
        swap(&listening, &listenedBefore)
        for index in listening.indices { listening[index] = 0 }
        for port in ports {
            peerWatch[Int(port) >> 6] |= 1 << UInt64(port & 63)
            watchesPeers = true
        }
    }

    /// Counts one socket. Returns true when the socket has details to count (`addDetails`):
    /// it listens, is in CLOSE_WAIT, or may be a client socket in the ephemeral range.
    @inlinable @discardableResult
    public mutating func add(localPort: UInt16, state: TCPState, family: AddressFamily) -> Bool {
        let slot = slot(of: localPort)
        switch family {
        case .ipv4: accumulators[slot].ipv4.increment(rawState: Int(state.rawValue))
        case .ipv6: accumulators[slot].ipv6.increment(rawState: Int(state.rawValue))
        }
        return state == .closeWait || state == .listen || inTalliedRange(localPort)
    }

    /// The accumulator slot of `port`, made on the port's first socket of the scan.
    @inlinable @inline(__always)
    mutating func slot(of port: UInt16) -> Int {
        var slot = Int(slotByPort[Int(port)])
        if slot < 0 {
            slot = accumulators.count
            slotByPort[Int(port)] = Int32(slot)
            accumulators.append(Accumulator(port: port))
        }
        return slot
    }

    /// True when client sockets are tallied and `port` is in the ephemeral range.
    @inlinable @inline(__always)
    func inTalliedRange(_ port: UInt16) -> Bool {
        talliesClients && port &- ephemeralLow <= ephemeralSpan
    }

    /// True when a socket on `port` in `state` is a client socket holding an ephemeral port
    /// that the scan tallies by destination.
    @inlinable @inline(__always)
    mutating func talliesClient(_ port: UInt16, state: TCPState) -> Bool {
        guard inTalliedRange(port), state != .listen else { return false }
        let word = Int(port) >> 6
        return (listening[word] | listenedBefore[word]) & (1 << UInt64(port & 63)) == 0
    }

    /// Counts the details of one socket that its state asks for: a listening port, the inode
    /// of a CLOSE_WAIT socket, the destination of a client socket. The closures are called only then, so
    /// other sockets cost two comparisons.
    @inlinable @inline(__always)
    public mutating func addDetails(
        localPort: UInt16, state: TCPState, inode: () -> UInt64,
        destination: () -> (local: IPAddress, remote: IPAddress, remotePort: UInt16)
    ) {
        if state == .listen { listening[Int(localPort) >> 6] |= 1 << UInt64(localPort & 63) }
        if state == .closeWait { closeWaitSockets.append(CloseWaitSocket(port: localPort, inode: inode())) }
        if talliesClient(localPort, state: state) {
            let (local, remote, remotePort) = destination()
            clientTuples.add(local: local, remote: remote, remotePort: remotePort, timeWait: state == .timeWait)
        }
    }

    /// Counts one socket, and its peer when its port is watched and it is in TIME_WAIT.
    @inlinable
    public mutating func add(_ record: TCPSocketRecord) {
        add(localPort: record.local.port, state: record.state, family: record.local.address.family) { record.remote.address }
        addDetails(localPort: record.local.port, state: record.state, inode: { 0 }) {
            (record.local.address, record.remote.address, record.remote.port)
        }
    }

    /// Counts one socket of a source that finds its remote address in place (netlink):
    /// `remoteAddress` is called only when the socket's peer is tallied, that is when it is in
    /// TIME_WAIT on a watched port, so other sockets cost no address decoding.
    @inlinable
    public mutating func add(localPort: UInt16, state: TCPState, family: AddressFamily, remoteAddress: () -> IPAddress) {
        add(localPort: localPort, state: state, family: family)
        if talliesPeer(of: localPort, state: state) {
            peers.add(port: localPort, address: remoteAddress())
        }
    }

    /// Counts the rows of one kernel table (`/proc/net/tcp` or `tcp6` text), or of a run of its
    /// whole lines that does not start the file. Only the local port and state of a row are
    /// decoded, and its remote address when its peer is tallied.
    public mutating func addProcTable(_ text: UnsafeRawBufferPointer, family: AddressFamily, startsFile: Bool = true) {
        // The loop of `ProcNetTCPParser.forEachRow`, written out: with the row's work in a
        // closure the compiler no longer inlined it (≈ 30 instructions per row more).
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else { return }
        let end = base + text.count
        var line = base
        if startsFile && ProcNetTCPParser.isHeader(line, end) { line = ProcNetTCPParser.lineAfter(line, end) }
        while line < end {
            var cursor = line
            if let row = ProcNetTCPParser.scanRow(&cursor, end, family: family) {
                // LISTEN, CLOSE_WAIT and client rows are few: their details are counted out of line.
                // A TIME_WAIT socket and its timer in one visit to the port's accumulator.
                let hasDetails = row.state == .timeWait
                    ? addTimeWait(localPort: row.localPort, family: family, millisecondsLeft: row.timeWaitMillisecondsLeft(before: end))
                    : add(localPort: row.localPort, state: row.state, family: family)
                if _slowPath(hasDetails) {
                    addDetails(of: row, bufferEnd: end)
                }
                if talliesPeer(of: row.localPort, state: row.state) {
                    peers.enqueue(port: row.localPort, address: row.remoteAddress)
                }
            } else {
                malformedRows += 1
            }
            line = ProcNetTCPParser.lineAfter(cursor, end)
        }
        peers.flush()
    }

    /// The details of one /proc row that `addDetails` asks for.
    @inline(never)
    mutating func addDetails(of row: ProcNetTCPParser.Row, bufferEnd end: UnsafePointer<UInt8>) {
        addDetails(localPort: row.localPort, state: row.state, inode: { row.inode(bufferEnd: end) }) {
            (row.localAddress, row.remoteAddress, row.remotePort)
        }
    }

    /// True when a socket on `port` in `state` has its remote address tallied. (Mutating only
    /// so that the row loop does not copy the builder to call it.)
    @inlinable @inline(__always)
    mutating func talliesPeer(of port: UInt16, state: TCPState) -> Bool {
        watchesPeers && state == .timeWait && peerWatch[Int(port) >> 6] & (1 << UInt64(port & 63)) != 0
    }

    /// Counts one TIME_WAIT socket of a source that finds its remote address in place
    /// (netlink), with its timer: `millisecondsLeft` of its 60 s, -1 for none or out of range.
    /// One visit to the port's accumulator; `remoteAddress` is called only when the port's peers
    /// are tallied.
    @inlinable @inline(__always)
    public mutating func addTimeWait(
        localPort: UInt16, family: AddressFamily, millisecondsLeft: Int, remoteAddress: () -> IPAddress
    ) {
        addTimeWait(localPort: localPort, family: family, millisecondsLeft: millisecondsLeft)
        if talliesPeer(of: localPort, state: .timeWait) {
            peers.add(port: localPort, address: remoteAddress())
        }
    }

    /// Counts one TIME_WAIT socket and its timer (`millisecondsLeft` of its 60 s; -1 for none).
    /// Returns true when the socket may be a client socket in the ephemeral range (`addDetails`).
    @inlinable @inline(__always) @discardableResult
    mutating func addTimeWait(localPort: UInt16, family: AddressFamily, millisecondsLeft: Int) -> Bool {
        let slot = slot(of: localPort)
        Self.countTimeWait(&accumulators[slot], family: family, millisecondsLeft: millisecondsLeft, newCloseWindow: newCloseWindowMilliseconds)
        return inTalliedRange(localPort)
    }

    @inlinable @inline(__always)
    static func countTimeWait(_ accumulator: inout Accumulator, family: AddressFamily, millisecondsLeft left: Int, newCloseWindow: Int) {
        switch family {
        case .ipv4: accumulator.ipv4.increment(rawState: 6)
        case .ipv6: accumulator.ipv6.increment(rawState: 6)
        }
        guard left > 0 else { return }
        let age = TimeWaitTimer.lifetimeMilliseconds - left
        accumulator.recentCloses.last60Seconds += 1
        if age < 10_000 { accumulator.recentCloses.last10Seconds += 1 }
        if age < newCloseWindow { accumulator.newCloses += 1 }
    }

    /// Notes the cgroup id of a LISTEN socket on `localPort`. The first one of a port is kept;
    /// a port the scan has not seen (a listener made after the table was read) is left out.
    public mutating func addListenerCgroup(localPort: UInt16, cgroupID: UInt64) {
        let slot = Int(slotByPort[Int(localPort)])
        guard slot >= 0, cgroupID != 0, accumulators[slot].listenerCgroupID == 0 else { return }
        accumulators[slot].listenerCgroupID = cgroupID
    }

    /// Adds rows that a source found unreadable.
    public mutating func addMalformedRows(_ count: Int) {
        malformedRows += count
    }

    /// The table and the by-products of what was added since the last reset.
    public func result(ownerOf: (UInt64) -> PortOwner? = { _ in nil }) -> ScanResult {
        ScanResult(table: build(ownerOf: ownerOf), byproducts: byproducts())
    }

    /// The table of what was added since the last reset, ports ascending. `ownerOf` names the
    /// owner of a listening port's cgroup id (the I/O that maps ids to paths is the caller's).
    public func build(ownerOf: (UInt64) -> PortOwner? = { _ in nil }) -> PortTable {
        var ports: [PortStats] = []
        ports.reserveCapacity(accumulators.count)
        for port in 0..<slotByPort.count {
            let slot = Int(slotByPort[port])
            if slot >= 0 {
                let accumulator = accumulators[slot]
                var stats = PortStats(port: accumulator.port, ipv4: accumulator.ipv4, ipv6: accumulator.ipv6)
                stats.recentCloses = accumulator.recentCloses
                if accumulator.listenerCgroupID != 0 { stats.owner = ownerOf(accumulator.listenerCgroupID) }
                ports.append(stats)
            }
        }
        return PortTable(ports: ports, malformedRows: malformedRows)
    }

    /// What was found since the last reset besides the table: top peers of the watched ports,
    /// CLOSE_WAIT sockets, client destinations (when tallied) and new active closes per port.
    public func byproducts() -> ScanByproducts {
        var newActiveCloses: [UInt16: Int] = [:]
        for accumulator in accumulators where accumulator.newCloses > 0 {
            newActiveCloses[accumulator.port] = accumulator.newCloses
        }
        return ScanByproducts(
            topPeers: topPeerSelections(), closeWaitSockets: closeWaitSockets,
            clientTuples: talliesClients ? clientTuples.tallies(atLeast: clientTupleFloor) : [],
            newActiveCloses: newActiveCloses)
    }

    /// The best `topPeerLimit` peers of each port with tallied peers: one bounded heap per
    /// port, found through the port's accumulator slot (no hashing, no sort of the tally).
    func topPeerSelections() -> [UInt16: [PeerCount]] {
        var selections: [PeerSelection] = []
        var selectionBySlot = [Int32](repeating: -1, count: peers.used.isEmpty ? 0 : accumulators.count)
        peers.forEachEntry { port, address, count in
            // A tallied socket was counted first, so its port has a slot.
            let slot = Int(slotByPort[Int(port)])
            if selectionBySlot[slot] < 0 {
                selectionBySlot[slot] = Int32(selections.count)
                selections.append(PeerSelection(port: port, limit: topPeerLimit))
            }
            selections[Int(selectionBySlot[slot])].offer(PeerCount(address: address, count: count))
        }
        var topPeers: [UInt16: [PeerCount]] = [:]
        for selection in selections { topPeers[selection.port] = selection.ranked }
        return topPeers
    }
}
