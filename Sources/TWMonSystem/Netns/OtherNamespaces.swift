import Glibc
import TWMonCore

/// Finds every network namespace processes of the host live in and reads those other than
/// twmond's own through `/proc/PID/net/…`, which any user may read (no capability, no `setns`).
///
/// Each `scan`:
/// 1. **Discovery.** Lists the numeric entries of /proc and makes one `fstatat("PID/net/tcp")`
///    per PID: its `st_ino` is the namespace's key (one per namespace, readable without
///    privilege). The lowest `candidatesPerNamespace` PIDs of each key are kept. A PID that is
///    gone or hidden (or a zombie, which has no namespace) is skipped silently. Keys are derived
///    afresh every scan, because the kernel reuses them after a namespace dies.
/// 2. **Naming.** `NamespaceNaming` names each namespace from the `/proc/PID/cgroup` of its
///    lowest PID, which is read again only when that PID changes. The host's namespace is PID
///    1's; when PID 1 cannot be seen (hidepid), twmond's own is taken for the host's.
/// 3. **Reading**, for each namespace but the own: its `sockstat` and `dev`
///    (`NamespaceActivity`, microseconds), through files kept open from scan to scan
///    (`NamespaceActivityFiles`: they hold the namespace until the first scan that finds no
///    process in it, which closes them; with no descriptor left they are read by path). No TCP socket: an empty table, exact, no full read.
///    Activity equal to that of its last full read (and the same watched ports): the last
///    table is kept, without `newActiveCloses`. Otherwise its `tcp` and `tcp6` are read in full
///    by the one `Scanner` all namespaces share (a walk of the host's whole established hash, about
///    3 ms even for an almost empty namespace). Its `netstat` is read whenever its activity
///    moved. A PID gone between discovery and reading gives way to the next candidate; a
///    namespace none of whose candidates can be read is left out and counted `unreadable`.
///
/// State is kept per key only for the namespaces of the last scan: a namespace not seen is
/// forgotten. Not thread-safe: one caller scans at a time.
public final class OtherNamespaces {
    /// The proc mount read; any root other than `/proc` is a captured copy, whose other
    /// namespaces are not this host's: then only the own namespace is reported, as `host`.
    public let procRoot: String

    /// PIDs kept per namespace to read it by, lowest first.
    public static let candidatesPerNamespace = 4
    /// The read buffer of each namespace's table: other namespaces are usually small, and one
    /// with 120 000 sockets is read in more, smaller pieces.
    public static let tableBufferCapacity = 256 * 1024
    /// The largest small file read (`sockstat`, `dev`, `netstat`, `cgroup`).
    public static let smallFileLimit = 64 * 1024

    /// What is remembered of one namespace between scans.
    private final class Tracked {
        /// The PID whose cgroup named it, and that cgroup path.
        var namingPID: Int32 = -1
        var cgroupPath: String?
        /// Its sockstat and dev, kept open (nil until opened, or when no descriptor was left).
        var files: NamespaceActivityFiles?
        /// When its last full read started (for the new closes of the next one).
        var lastScanStarted: ContinuousClock.Instant?
        /// The activity and watched ports its `lastResult` was read at, and when.
        var lastActivity: NamespaceActivity?
        var lastWatched: [UInt16] = []
        var lastResult = ScanResult(table: PortTable())
        var lastReadAt = 0.0
        /// The activity its `events` were read at.
        var eventsActivity: NamespaceActivity?
        var events: TimeWaitEventCounters?
    }

    private var tracked: [UInt64: Tracked] = [:]
    /// Reads every namespace's table in turn: one buffer and one builder for all of them, so
    /// what a namespace costs between scans is its last table, not a reader's buffers.
    private let source = ProcNetSource(procRoot: "", bufferCapacity: OtherNamespaces.tableBufferCapacity)
    private lazy var scanner = Scanner(source: source)
    /// Reads sockstat, netstat and cgroup files; `devReader` holds dev while sockstat is parsed.
    private let reader = ProcFileReader(initialCapacity: 16 * 1024)
    private let devReader = ProcFileReader(initialCapacity: 4 * 1024)
    /// What kept-open sockstat and dev files are read into.
    private let sockstatBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * 1024, alignment: 16)
    private let devBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: OtherNamespaces.smallFileLimit, alignment: 16)
    /// `PID/net/tcp` as a C string, written in place for each `fstatat`.
    private let pathBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: 32)

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    deinit {
        pathBuffer.deallocate()
        sockstatBuffer.deallocate()
        devBuffer.deallocate()
    }

    /// The namespaces whose state is kept: those of the last scan, own included.
    public var trackedCount: Int { tracked.count }

    /// True when state is kept for the namespace `key` (it was seen by the last scan).
    public func tracks(key: UInt64) -> Bool { tracked[key] != nil }

    /// One pass over every namespace, as the type describes. `watchingPeers` names, per
    /// namespace name, the ports whose TIME_WAIT peers are tallied (the `topPeers` largest
    /// kept). Never throws: what cannot be read is left out and counted.
    public func scan(watchingPeers: [String: [UInt16]] = [:], topPeers: Int = 5) -> OtherNamespacesScan {
        let started = ContinuousClock.now
        guard procRoot == Scanner.realProcRoot else { return OtherNamespacesScan(own: .ownHost) }
        guard let ownKey = key(ofPath: procRoot + "/self/net/tcp") else {
            tracked.removeAll()
            return OtherNamespacesScan(own: .ownHost)
        }
        let found = discover()
        let hostKey = found.hostKey ?? ownKey
        var namespaces = found.pids
        if namespaces[ownKey] == nil { namespaces[ownKey] = [] }

        var previous = tracked
        tracked = [:]
        let keys = namespaces.keys.sorted()
        var candidates: [NamespaceNaming.Candidate] = []
        for key in keys {
            let state = previous.removeValue(forKey: key) ?? Tracked()
            tracked[key] = state
            let pids = namespaces[key]!
            if let lowest = pids.first, lowest != state.namingPID {
                state.namingPID = lowest
                state.cgroupPath = nil
                for pid in pids {
                    if let text = try? smallFile("\(procRoot)/\(pid)/cgroup") {
                        state.cgroupPath = NamespaceNaming.cgroupPath(inProcCgroup: text)
                        break
                    }
                }
            }
            candidates.append(NamespaceNaming.Candidate(key: key, isOwn: key == ownKey, isHost: key == hostKey, cgroupPath: state.cgroupPath))
        }
        let named = NamespaceNaming.name(candidates)

        var result = OtherNamespacesScan(own: named[keys.firstIndex(of: ownKey)!])
        for (index, key) in keys.enumerated() where key != ownKey {
            result.figures.discovered += 1
            let netns = named[index]
            let watched = (watchingPeers[netns.name] ?? []).sorted()
            guard let read = read(netns, pids: namespaces[key]!, state: tracked[key]!, watched: watched, topPeers: topPeers) else {
                result.figures.unreadable += 1
                continue
            }
            if read.readInFull {
                result.figures.readInFull += 1
            } else if read.activity.isEmpty {
                result.figures.empty += 1
            } else {
                result.figures.unchanged += 1
            }
            result.others.append(read)
        }
        result.others.sort { $0.netns < $1.netns }
        result.figures.duration = ContinuousClock.now - started
        return result
    }

    /// Why a namespace's file could not be read.
    private enum ReadFailure: Error {
        /// The process is gone: try the next candidate.
        case vanished
        /// The file is there but not what it should be.
        case broken
    }

    /// Reads one namespace through the first of `pids` that can be read; nil when none can.
    private func read(_ netns: NetworkNamespace, pids: [Int32], state: Tracked, watched: [UInt16], topPeers: Int) -> OtherNamespaceRead? {
        for pid in pids {
            let base = "\(procRoot)/\(pid)/net/"
            let activity: NamespaceActivity
            do throws(ReadFailure) {
                activity = try self.activity(base, state: state)
            } catch .vanished {
                continue
            } catch {
                return nil
            }
            if state.eventsActivity != activity {
                state.events = try? NetstatParser.timeWaitEvents(in: smallFile(base + "netstat"), source: base + "netstat")
                state.eventsActivity = activity
            }
            let counters = NamespaceCounters(timeWait: NamespaceTimeWait(timeWait: activity.timeWait, maxBuckets: nil), timeWaitEvents: state.events)
            if activity.isEmpty {
                return OtherNamespaceRead(netns: netns, result: ScanResult(table: PortTable()), counters: counters, activity: activity, readInFull: false, readAt: WallClock.now())
            }
            if state.lastActivity == activity && state.lastWatched == watched {
                var kept = state.lastResult
                kept.byproducts.newActiveCloses = [:]
                return OtherNamespaceRead(netns: netns, result: kept, counters: counters, activity: activity, readInFull: false, readAt: state.lastReadAt)
            }
            source.procRoot = "\(procRoot)/\(pid)"
            scanner.previousScan = state.lastScanStarted
            let readAt = WallClock.now()
            var scanned: ScanResult
            do {
                scanned = try scanner.scan(watchingPeersOf: watched, topPeers: topPeers)
            } catch {
                if Self.isVanished(error) { continue }
                return nil
            }
            for index in scanned.table.ports.indices where scanned.table.ports[index].listening {
                scanned.table.ports[index].owner = netns.owner
            }
            state.lastScanStarted = scanner.previousScan
            state.lastActivity = activity
            state.lastWatched = watched
            state.lastResult = scanned
            state.lastReadAt = readAt
            return OtherNamespaceRead(netns: netns, result: scanned, counters: counters, activity: activity, readInFull: true, readAt: readAt)
        }
        return nil
    }

    /// The activity of the namespace: through its kept-open files, opened through `base`
    /// (`/proc/PID/net/`) when it has none; read by path when no descriptor is left (EMFILE).
    private func activity(_ base: String, state: Tracked) throws(ReadFailure) -> NamespaceActivity {
        if state.files == nil {
            do {
                state.files = try NamespaceActivityFiles(base: base)
            } catch .system(let error) where error.errno == EMFILE || error.errno == ENFILE {
                return try activity(base)
            } catch {
                throw Self.isVanished(error) ? .vanished : .broken
            }
        }
        do {
            return try state.files!.read(sockstatBuffer: sockstatBuffer, devBuffer: devBuffer)
        } catch {
            state.files = nil
            throw .broken
        }
    }

    /// The activity read by path from `base` (`/proc/PID/net/`), parsed from the bytes as read.
    private func activity(_ base: String) throws(ReadFailure) -> NamespaceActivity {
        let sockstatPath = base + "sockstat", devPath = base + "dev"
        do {
            guard try reader.read(path: sockstatPath, limit: Self.smallFileLimit),
                  try devReader.read(path: devPath, limit: Self.smallFileLimit)
            else { throw ReadFailure.vanished }
        } catch let failure as ReadFailure {
            throw failure
        } catch {
            throw Self.isVanished(error) ? .vanished : .broken
        }
        do {
            return try reader.withBytes { sockstat in
                try devReader.withBytes { dev in
                    try NamespaceActivity.parse(sockstat: sockstat, dev: dev, sockstatSource: sockstatPath, devSource: devPath)
                }
            }
        } catch {
            throw .broken
        }
    }

    /// Errors that mean the process read through is gone (or became a zombie, which has no
    /// namespace): ENOENT on open, ESRCH.
    private static func isVanished(_ error: any Error) -> Bool {
        switch error {
        case FileReadError.system(let call), ScanError.unreadable(.system(let call)):
            call.errno == ENOENT || call.errno == ESRCH
        case ScanError.missingTable, OtherNamespacesFileMissing.missing:
            true
        default:
            false
        }
    }

    private enum OtherNamespacesFileMissing: Error { case missing }

    /// The text of a small file; a file that does not exist throws `missing`.
    private func smallFile(_ path: String) throws -> String {
        guard try reader.read(path: path, limit: Self.smallFileLimit) else { throw OtherNamespacesFileMissing.missing }
        return reader.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// `st_ino` of `path`, or nil.
    private func key(ofPath path: String) -> UInt64? {
        var status = stat()
        return stat(path, &status) == 0 ? UInt64(status.st_ino) : nil
    }

    /// The numeric entries of /proc grouped by namespace key, the lowest
    /// `candidatesPerNamespace` PIDs of each ascending, and the key of PID 1 when it is seen.
    private func discover() -> (pids: [UInt64: [Int32]], hostKey: UInt64?) {
        var pids: [UInt64: [Int32]] = [:]
        var hostKey: UInt64?
        guard let directory = opendir(procRoot) else { return (pids, nil) }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var status = stat()
        while let entry = readdir(directory) {
            let pid: Int32? = withUnsafeBytes(of: &entry.pointee.d_name) { name in
                var value: Int32 = 0
                for byte in name {
                    if byte == 0 { break }
                    let digit = Int32(byte) - Int32(UInt8(ascii: "0"))
                    // A PID is at most 2²², far below the bound kept here.
                    guard (0...9).contains(digit), value < 100_000_000 else { return nil }
                    value = value * 10 + digit
                }
                return value > 0 ? value : nil
            }
            guard let pid else { continue }
            writeStatPath(pid)
            guard fstatat(descriptor, pathBuffer, &status, 0) == 0 else { continue }
            let key = UInt64(status.st_ino)
            if pid == 1 { hostKey = key }
            var list = pids[key, default: []]
            if list.count < Self.candidatesPerNamespace {
                list.append(pid)
                list.sort()
            } else if pid < list[list.count - 1] {
                list[list.count - 1] = pid
                list.sort()
            } else {
                continue
            }
            pids[key] = list
        }
        return (pids, hostKey)
    }

    /// Writes `PID/net/tcp` and its terminating zero into `pathBuffer` (no allocation: this
    /// runs once per process of the host at every scan).
    private func writeStatPath(_ pid: Int32) {
        var length = 1
        var rest = pid / 10
        while rest > 0 {
            length += 1
            rest /= 10
        }
        rest = pid
        for offset in stride(from: length - 1, through: 0, by: -1) {
            pathBuffer[offset] = CChar(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        var offset = length
        for byte in "/net/tcp".utf8 {
            pathBuffer[offset] = CChar(byte)
            offset += 1
        }
        pathBuffer[offset] = 0
    }
}
