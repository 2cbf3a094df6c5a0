import CTWMonNetlink
import Glibc
import TWMonCore

/// Maps the cgroup v2 ids of LISTEN sockets (`INET_DIAG_CGROUP_ID`) to owners: the way iproute2
/// does for `ss --cgroup`, by walking the cgroup2 mount and asking `name_to_handle_at` for each
/// directory's id (no privilege needed), then reading the path with `CgroupOwnerParser`.
///
/// The mount is found in `/proc/self/mountinfo` (`/sys/fs/cgroup` on a unified host,
/// `/sys/fs/cgroup/unified` on a hybrid one, anywhere in a container). The map is kept
/// (`CgroupOwnerMap`) and a new pass of the walk starts only when an id is missing from it (a
/// unit started since).
///
/// Contract: a scan spends at most `budget` directories on the walk. A pass that needs more
/// keeps its place (its stack of open directories, at most `maximumDepth` of them) and goes on
/// at the next scan, whether or not that scan misses an id, until it has visited every
/// directory; meanwhile ids already mapped keep their owners, ids it has reached get theirs at
/// once, and the others have none (`owner(of:)` is nil: unknown, never a guess). `progress`
/// says how far the walk got.
public final class CgroupOwnerResolver {
    /// How far the walk of the cgroup2 mount got.
    public struct Progress: Sendable, Equatable {
        /// Whether the last scan walked (a pass may end with a step that visits nothing new).
        public var walkedThisScan = false
        /// Directories visited during the last scan (0 when it did not walk).
        public var visitedThisScan = 0
        /// Directories visited by the pass in progress, or by the last pass when none is.
        public var passVisited = 0
        /// Scans the pass in progress (or the last pass) has walked in.
        public var passScans = 0
        /// Whether a pass has started and not finished (it goes on at the next scan).
        public var inProgress = false
        /// Time the last scan spent walking.
        public var durationThisScan: Duration = .zero
    }

    /// Where the cgroup2 hierarchy is mounted, or nil.
    public let mountPoint: String?
    /// Why owners cannot be found here (no cgroup2 mount, a walk that fails), or nil.
    public private(set) var unavailable: String?
    /// How far the walk got.
    public private(set) var progress = Progress()
    /// Directories a scan may visit (see README, "What owners and close rates cost").
    public let budget: Int

    private var map = CgroupOwnerMap()
    private var walk: OpaquePointer?
    /// Whether this scan has not walked yet.
    private var mayWalk = true

    /// The walk stops at this depth below the mount and after this many directories per pass.
    static let maximumDepth = 32
    public static let maximumDirectories = 200_000
    /// Directories walked per scan unless the caller says otherwise.
    public static let defaultBudget = 2_000

    /// Finds the cgroup2 mount in `mountInfoPath`; makes no walk yet.
    public init(mountInfoPath: String = "/proc/self/mountinfo", budget: Int = CgroupOwnerResolver.defaultBudget) {
        self.budget = max(budget, 1)
        let reader = ProcFileReader(initialCapacity: 16 * 1_024)
        do {
            guard try reader.read(path: mountInfoPath, limit: 16 << 20) else {
                mountPoint = nil
                unavailable = "\(mountInfoPath) does not exist"
                return
            }
        } catch {
            mountPoint = nil
            unavailable = "\(error)"
            return
        }
        let text = reader.withBytes { String(decoding: $0, as: UTF8.self) }
        mountPoint = MountInfoParser.cgroup2MountPoint(in: text)
        if mountPoint == nil { unavailable = "no cgroup2 file system is mounted (\(mountInfoPath))" }
    }

    deinit {
        twmon_cgroup_walk_end(walk)
    }

    /// A scan begins: allows one more budget of walking, and spends it at once on a pass in
    /// progress. Called once per scan.
    public func beginScan() {
        mayWalk = true
        progress.walkedThisScan = false
        progress.visitedThisScan = 0
        progress.durationThisScan = .zero
        if map.passInProgress { advance() }
    }

    /// The owner of the cgroup with `id`, or nil when it is not known (yet).
    public func owner(of id: UInt64) -> PortOwner? {
        switch map.lookup(id) {
        case .owner(let owner): return owner
        case .missing: return nil
        case .unmapped:
            guard mayWalk else { return nil }
            advance()
            if case .owner(let owner) = map.lookup(id) { return owner }
            return nil
        }
    }

    /// Spends this scan's budget on the pass in progress, starting one when none is.
    private func advance() {
        mayWalk = false
        guard let mountPoint else { return }
        let started = ContinuousClock.now
        defer { progress.durationThisScan = ContinuousClock.now - started }
        if walk == nil {
            guard let opened = twmon_cgroup_walk_start(mountPoint, Self.maximumDepth, Self.maximumDirectories) else {
                unavailable = "cannot read the cgroup2 mount \(mountPoint): \(String(cString: strerror(errno)))"
                return
            }
            walk = opened
            unavailable = nil
            map.startPass()
            progress.passScans = 0
        }
        guard let walk else { return }
        let visited = withUnsafeMutablePointer(to: &map) { map in
            twmon_cgroup_walk_step(walk, budget, { context, id, path in
                guard let context, let path else { return }
                context.assumingMemoryBound(to: CgroupOwnerMap.self).pointee.found(id, at: String(cString: path))
            }, map)
        }
        progress.walkedThisScan = true
        progress.visitedThisScan = visited
        progress.passVisited = twmon_cgroup_walk_visited(walk)
        progress.passScans += 1
        progress.inProgress = twmon_cgroup_walk_finished(walk) == 0
        if !progress.inProgress {
            twmon_cgroup_walk_end(walk)
            self.walk = nil
            map.finishPass()
        }
    }
}
