/// One read of the close-event maps as the kernel handed them over, before any check: what
/// `CloseEventSource.read()` copies out, and what `CloseEventCounts(validating:)` judges.
/// Tests build these by hand.
public struct CloseEventRead: Sendable, Equatable {
    /// The `counts` map: one record per (namespace, port, socket cgroup).
    public var counts: [CloseCountRecord]
    /// The `closers` map: one record per (namespace, port), every CPU's sample.
    public var closers: [CloserRecord]
    /// The `namespaces` map.
    public var namespaces: [NamespaceRecord]
    /// The program's own counters.
    public var statistics: CloseEventStatistics
    /// The `close_wait` map: the sockets in CLOSE_WAIT now (those that entered it since the
    /// source was opened).
    public var closeWait: [CloseWaitRecord]
    /// CLOCK_MONOTONIC, in nanoseconds, just after `closeWait` was copied: what its entry times
    /// are aged against.
    public var readAtNanoseconds: UInt64

    public init(counts: [CloseCountRecord] = [], closers: [CloserRecord] = [], namespaces: [NamespaceRecord] = [],
                statistics: CloseEventStatistics = CloseEventStatistics(), closeWait: [CloseWaitRecord] = [],
                readAtNanoseconds: UInt64 = 0) {
        self.counts = counts
        self.closers = closers
        self.namespaces = namespaces
        self.statistics = statistics
        self.closeWait = closeWait
        self.readAtNanoseconds = readAtNanoseconds
    }
}

/// An entry of the `close_wait` map: one socket in CLOSE_WAIT.
public struct CloseWaitRecord: Sendable, Equatable {
    public var namespaceInode: UInt32
    /// Its local port.
    public var port: UInt16
    /// When it entered CLOSE_WAIT, CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns).
    public var enteredNanoseconds: UInt64

    public init(namespaceInode: UInt32, port: UInt16, enteredNanoseconds: UInt64) {
        self.namespaceInode = namespaceInode
        self.port = port
        self.enteredNanoseconds = enteredNanoseconds
    }
}

/// An entry of the `counts` map.
public struct CloseCountRecord: Sendable, Equatable {
    /// The network namespace's inode number (`net:[N]` of /proc/PID/ns/net).
    public var namespaceInode: UInt32
    /// The port, local or remote as `side` says.
    public var port: UInt16
    /// The kernel's `side` byte (0 local, 1 remote; anything else is refused).
    public var side: UInt8
    /// The socket's cgroup v2 id (0: none).
    public var cgroupID: UInt64
    public var counts: CloseCounts

    public init(namespaceInode: UInt32, port: UInt16, side: UInt8 = 0, cgroupID: UInt64, counts: CloseCounts) {
        self.namespaceInode = namespaceInode
        self.port = port
        self.side = side
        self.cgroupID = cgroupID
        self.counts = counts
    }
}

/// An entry of the `closers` map: the space-saving samples of all CPUs for one port.
public struct CloserRecord: Sendable, Equatable {
    public var namespaceInode: UInt32
    public var port: UInt16
    public var side: UInt8
    /// Every CPU's slots, empty ones included.
    public var slots: [CloserSlotRecord]

    public init(namespaceInode: UInt32, port: UInt16, side: UInt8 = 0, slots: [CloserSlotRecord]) {
        self.namespaceInode = namespaceInode
        self.port = port
        self.side = side
        self.slots = slots
    }
}

/// One slot of a closer sample.
public struct CloserSlotRecord: Sendable, Equatable {
    /// The closing process (0 in an empty slot).
    public var pid: UInt32
    /// Active closes counted in the slot (an upper bound for `pid`).
    public var closes: UInt64
    /// How many of `closes` the slot inherited from the process it replaced.
    public var error: UInt64
    /// The comm bytes as the kernel wrote them (up to a NUL).
    public var comm: [UInt8]

    public init(pid: UInt32, closes: UInt64, error: UInt64, comm: [UInt8]) {
        self.pid = pid
        self.closes = closes
        self.error = error
        self.comm = comm
    }
}

/// An entry of the `namespaces` map.
public struct NamespaceRecord: Sendable, Equatable {
    public var namespaceInode: UInt32
    /// The namespace's boot-unique cookie.
    public var cookie: UInt64
    /// The inode of its /proc/PID/net/tcp entry (0: not found).
    public var procTCPInode: UInt32

    public init(namespaceInode: UInt32, cookie: UInt64, procTCPInode: UInt32) {
        self.namespaceInode = namespaceInode
        self.cookie = cookie
        self.procTCPInode = procTCPInode
    }
}

/// The program's counters since it was loaded, summed over the CPUs.
public struct CloseEventStatistics: Sendable, Equatable {
    /// TCP state changes the program ran for.
    public var events: UInt64
    /// Counted transitions lost because the `counts` map was full, and sockets entering
    /// CLOSE_WAIT not tracked because the `close_wait` map was full.
    public var countsFull: UInt64
    /// Active closes not sampled because the `closers` map was full (their counts are kept).
    public var closersFull: UInt64
    /// Namespaces without a join key because the `namespaces` map was full.
    public var namespacesFull: UInt64
    /// LISTEN sockets not remembered because the `listeners` map was full (their connections
    /// are counted under the remote port).
    public var listenersFull: UInt64
    /// State changes the kernel did not hand to the program because it was already running on
    /// that CPU (bpf_prog_info `recursion_misses`): lost.
    public var recursionMisses: UInt64

    public init(events: UInt64 = 0, countsFull: UInt64 = 0, closersFull: UInt64 = 0, namespacesFull: UInt64 = 0,
                listenersFull: UInt64 = 0, recursionMisses: UInt64 = 0) {
        self.events = events
        self.countsFull = countsFull
        self.closersFull = closersFull
        self.namespacesFull = namespacesFull
        self.listenersFull = listenersFull
        self.recursionMisses = recursionMisses
    }

    /// Transitions that were not counted at all (`countsFull + recursionMisses`, saturating).
    public var lostCounts: UInt64 {
        let (sum, overflow) = countsFull.addingReportingOverflow(recursionMisses)
        return overflow ? .max : sum
    }
}
