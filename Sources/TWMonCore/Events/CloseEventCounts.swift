/// A port in a network namespace, as the close-event source names it.
public struct CloseEventPort: Hashable, Comparable, Sendable {
    /// Which end of the connections the port is.
    public enum Side: UInt8, Sendable, Comparable {
        /// The sockets' own port, which has a LISTEN socket in the namespace: a listener's port and
        /// the connections it accepted. This is what twmond's server ports are.
        case local = 0
        /// The port outgoing connections connect to: one figure per service this namespace is a
        /// client of.
        case remote = 1

        public static func < (left: Side, right: Side) -> Bool { left.rawValue < right.rawValue }
    }

    /// The namespace's inode number (`net:[N]` of /proc/PID/ns/net).
    public var namespaceInode: UInt32
    public var port: UInt16
    public var side: Side

    public init(namespaceInode: UInt32, port: UInt16, side: Side = .local) {
        self.namespaceInode = namespaceInode
        self.port = port
        self.side = side
    }

    public static func < (left: CloseEventPort, right: CloseEventPort) -> Bool {
        (left.namespaceInode, left.side, left.port) < (right.namespaceInode, right.side, right.port)
    }
}

/// A process that closed connections on a port first.
public struct Closer: Sendable, Hashable {
    /// The process id (in the initial PID namespace).
    public var pid: UInt32
    /// Its comm (the thread's name, at most 15 bytes) when first counted; bytes that are not
    /// UTF-8 appear as U+FFFD. Sinks escape it like any other foreign text.
    public var comm: String
    /// Active closes counted for it: an upper bound, exact while no other process took its
    /// slot (with up to four closers per port and CPU, always).
    public var closes: UInt64
    /// A lower bound of its active closes (`closes` minus what its slots inherited).
    public var certainCloses: UInt64

    public init(pid: UInt32, comm: String, closes: UInt64, certainCloses: UInt64) {
        self.pid = pid
        self.comm = comm
        self.closes = closes
        self.certainCloses = certainCloses
    }
}

/// What the source saw on one port since it was opened.
public struct PortCloseEvents: Sendable, Equatable {
    /// All sockets of the port, whatever their cgroup.
    public var counts: CloseCounts
    /// The same per socket cgroup v2 id (0: no cgroup).
    public var countsByCgroup: [UInt64: CloseCounts]
    /// The processes that closed first most, most closes first (at most `maximumClosers`).
    public var closers: [Closer]

    public init(counts: CloseCounts = .zero, countsByCgroup: [UInt64: CloseCounts] = [:], closers: [Closer] = []) {
        self.counts = counts
        self.countsByCgroup = countsByCgroup
        self.closers = closers
    }
}

/// A record the checks refused; the rest of the read is used.
public enum CloseEventRejection: Sendable, Equatable, CustomStringConvertible {
    /// A key with namespace 0, port 0 or a side byte other than 0 or 1, which the program never writes.
    case impossibleKey(namespaceInode: UInt32, port: UInt16, side: UInt8)
    /// A port's counts summed over its cgroups pass 2⁶⁴.
    case countOverflow(CloseEventPort)
    /// A closer slot with closes but pid 0, a pid above the kernel's limit, or more inherited
    /// closes than closes.
    case impossibleCloser(CloseEventPort, pid: UInt32, closes: UInt64, error: UInt64)
    /// A CLOSE_WAIT socket with entry time 0 or later than the read.
    case impossibleCloseWait(namespaceInode: UInt32, port: UInt16, enteredNanoseconds: UInt64, readAtNanoseconds: UInt64)

    public var description: String {
        switch self {
        case .impossibleKey(let namespace, let port, let side): "close events: impossible key (namespace \(namespace), port \(port), side \(side))"
        case .countOverflow(let key): "close events: counts of port \(key.port) in namespace \(key.namespaceInode) overflow"
        case .impossibleCloser(let key, let pid, let closes, let error):
            "close events: impossible closer on port \(key.port) in namespace \(key.namespaceInode): pid \(pid), \(closes) closes, \(error) inherited"
        case .impossibleCloseWait(let namespace, let port, let entered, let readAt):
            "close events: impossible CLOSE_WAIT entry on port \(port) in namespace \(namespace): entered at \(entered) ns, read at \(readAt) ns"
        }
    }
}

/// One cumulative read of the close-event source, checked: exact per-port counts since the
/// source was opened, the top closers, the namespaces' join keys and what was lost.
///
/// Build it with `init(validating:)` from a `CloseEventRead`; turn two of them into figures for
/// an interval with `CloseEventTally`.
public struct CloseEventCounts: Sendable, Equatable {
    /// Closers kept per port (the BPF program's slots per CPU).
    public static let maximumClosers = 4
    /// The kernel's PID_MAX_LIMIT on 64-bit: no pid is above it.
    public static let pidLimit: UInt32 = 4_194_304

    public var ports: [CloseEventPort: PortCloseEvents]
    /// Per namespace inode, the inode of that namespace's /proc/PID/net/tcp
    /// (`stat -c %i /proc/PID/net/tcp`), which is how an unprivileged twmond names a namespace.
    /// A namespace is missing until one of its TCP sockets changed state.
    public var procTCPInodes: [UInt32: UInt64]
    /// The program's own counters (events seen, what was lost).
    public var statistics: CloseEventStatistics
    /// Records refused by the checks (their figures are not in `ports`).
    public var rejections: [CloseEventRejection]
    /// Per namespace inode and local port, how long each socket now in CLOSE_WAIT has been in
    /// it at the read, nanoseconds (the `close_wait` map; sockets that entered CLOSE_WAIT
    /// before the source was opened are not there).
    public var closeWaitAges: [UInt32: [UInt16: [UInt64]]] = [:]

    public init(ports: [CloseEventPort: PortCloseEvents] = [:], procTCPInodes: [UInt32: UInt64] = [:],
                statistics: CloseEventStatistics = CloseEventStatistics(), rejections: [CloseEventRejection] = []) {
        self.ports = ports
        self.procTCPInodes = procTCPInodes
        self.statistics = statistics
        self.rejections = rejections
    }

    /// Checks and folds one read: counts summed over cgroups per port, each port's closer
    /// samples merged over the CPUs (slots of one pid added) and the largest kept.
    public init(validating read: CloseEventRead) {
        self.init(statistics: read.statistics)
        for record in read.counts {
            guard let key = checkedKey(record.namespaceInode, record.port, record.side) else { continue }
            // Changed in place: a copy of the port would copy its cgroup table at every record.
            guard let sum = (ports[key]?.counts ?? .zero).adding(record.counts) else {
                rejections.append(.countOverflow(key))
                continue
            }
            ports[key, default: PortCloseEvents()].counts = sum
            // One entry per cgroup in the map; the sum above bounds any re-read of the same one.
            ports[key, default: PortCloseEvents()].countsByCgroup[record.cgroupID, default: .zero] =
                ports[key]?.countsByCgroup[record.cgroupID]?.adding(record.counts) ?? record.counts
        }
        for record in read.closers {
            guard let key = checkedKey(record.namespaceInode, record.port, record.side) else { continue }
            if let closers = mergedClosers(record.slots, key) {
                ports[key, default: PortCloseEvents()].closers = closers
            }
        }
        for record in read.closeWait {
            guard checkedKey(record.namespaceInode, record.port, CloseEventPort.Side.local.rawValue) != nil else { continue }
            guard record.enteredNanoseconds != 0, record.enteredNanoseconds <= read.readAtNanoseconds else {
                rejections.append(.impossibleCloseWait(namespaceInode: record.namespaceInode, port: record.port,
                                                       enteredNanoseconds: record.enteredNanoseconds, readAtNanoseconds: read.readAtNanoseconds))
                continue
            }
            closeWaitAges[record.namespaceInode, default: [:]][record.port, default: []].append(read.readAtNanoseconds - record.enteredNanoseconds)
        }
        for record in read.namespaces where record.namespaceInode != 0 && record.procTCPInode != 0 {
            procTCPInodes[record.namespaceInode] = UInt64(record.procTCPInode)
            namespaceInodes[UInt64(record.procTCPInode)] = record.namespaceInode
        }
    }

    /// The namespace inode whose /proc/PID/net/tcp has inode `procTCPInode`, if the source saw it.
    public func namespaceInode(procTCPInode: UInt64) -> UInt32? {
        namespaceInodes[procTCPInode]
    }

    /// Per local port of the namespace `namespaceInode`: its sockets in CLOSE_WAIT, those in it
    /// for at least `minAge` seconds, and the oldest one's age (whole seconds).
    public func closeWaitFigures(namespaceInode: UInt32, minAge: Double) -> [UInt16: CloseWaitFigures] {
        guard let ports = closeWaitAges[namespaceInode] else { return [:] }
        let threshold = UInt64(min(max(minAge, 0), 1e9) * 1e9)
        return ports.mapValues { ages in
            let oldest = ages.max() ?? 0
            return CloseWaitFigures(total: ages.count, old: ages.count { $0 >= threshold }, oldestAgeSeconds: Int(oldest / 1_000_000_000))
        }
    }

    /// `procTCPInodes` the other way round.
    private var namespaceInodes: [UInt64: UInt32] = [:]

    private mutating func checkedKey(_ namespaceInode: UInt32, _ port: UInt16, _ side: UInt8) -> CloseEventPort? {
        guard namespaceInode != 0, port != 0, let side = CloseEventPort.Side(rawValue: side) else {
            rejections.append(.impossibleKey(namespaceInode: namespaceInode, port: port, side: side))
            return nil
        }
        return CloseEventPort(namespaceInode: namespaceInode, port: port, side: side)
    }

    private mutating func mergedClosers(_ slots: [CloserSlotRecord], _ key: CloseEventPort) -> [Closer]? {
        var byPid: [UInt32: Closer] = [:]
        for slot in slots where slot.closes > 0 {
            guard slot.pid != 0, slot.pid <= Self.pidLimit, slot.error <= slot.closes else {
                rejections.append(.impossibleCloser(key, pid: slot.pid, closes: slot.closes, error: slot.error))
                return nil
            }
            var closer = byPid[slot.pid] ?? Closer(pid: slot.pid, comm: Self.comm(slot.comm), closes: 0, certainCloses: 0)
            // Summed over at most 4 × CPUs slots of counts the kernel added one by one: far from 2⁶⁴.
            closer.closes &+= slot.closes
            closer.certainCloses &+= slot.closes - slot.error
            byPid[slot.pid] = closer
        }
        let ordered = byPid.values.sorted { ($0.closes, $1.pid) > ($1.closes, $0.pid) }
        return Array(ordered.prefix(Self.maximumClosers))
    }

    private static func comm(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }.prefix(15), as: UTF8.self)
    }
}
