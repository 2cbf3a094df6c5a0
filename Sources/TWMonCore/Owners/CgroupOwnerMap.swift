/// The owners of cgroup ids, from what a walk of the cgroup2 mount finds in passes that may
/// span several scans. Pure: the walk itself (the directories) is the caller's; this keeps
/// what it found, which ids are still awaited and which are gone.
///
/// Contract: an id mapped by a finished pass keeps its owner while a later pass runs (the map is
/// replaced, and owners whose path changed dropped, only when that pass finishes); an id found
/// by the pass in progress is mapped at once; an id not found by a pass that started after it
/// was first asked for is `missing` (its cgroup was removed while its socket lives on) until a
/// pass finds it or it is no longer asked for; anything else not yet mapped is `unmapped`, and
/// only the caller decides how much walking that is worth.
public struct CgroupOwnerMap: Sendable {
    /// What a lookup found.
    public enum Lookup: Equatable, Sendable {
        /// The owner, read from the id's path.
        case owner(PortOwner)
        /// Not found by a pass that started after the id was asked for.
        case missing
        /// Not mapped yet: a pass (in progress, or to be started) may find it.
        case unmapped
    }

    /// The map of the last finished pass.
    private var paths: [UInt64: String] = [:]
    /// What the pass in progress has found so far.
    private var next: [UInt64: String] = [:]
    private var owners: [UInt64: PortOwner] = [:]
    private var missing: Set<UInt64> = []
    /// Missing ids asked for since the last pass finished (the others are dropped then).
    private var missingAsked: Set<UInt64> = []
    /// Unmapped ids asked for, not yet covered by a pass that started after they were.
    private var unresolved: Set<UInt64> = []
    /// The unresolved ids when the pass in progress started: missing if it does not find them.
    private var awaited: Set<UInt64> = []
    /// Whether a pass has started and not finished.
    public private(set) var passInProgress = false

    public init() {}

    /// Ids the last finished pass mapped.
    public var mappedCount: Int { paths.count }

    /// The owner of the cgroup with `id`, or why there is none.
    public mutating func lookup(_ id: UInt64) -> Lookup {
        if let owner = owners[id] { return .owner(owner) }
        if let path = paths[id] ?? next[id] {
            let owner = CgroupOwnerParser.owner(cgroupPath: path)
            owners[id] = owner
            return .owner(owner)
        }
        if missing.contains(id) {
            missingAsked.insert(id)
            return .missing
        }
        unresolved.insert(id)
        return .unmapped
    }

    /// A pass starts: the ids unmapped so far are what it is for.
    public mutating func startPass() {
        passInProgress = true
        next = [:]
        awaited = unresolved
    }

    /// The pass in progress found the cgroup `id` at `path` (below the mount, from `/`).
    public mutating func found(_ id: UInt64, at path: String) {
        next[id] = path
    }

    /// The pass in progress has visited every directory: its map replaces the last one.
    public mutating func finishPass() {
        paths = next
        next = [:]
        owners = owners.filter { paths[$0.key] == $0.value.cgroup }
        missing = missingAsked.union(awaited).filter { paths[$0] == nil }
        missingAsked = []
        unresolved = unresolved.subtracting(awaited).filter { paths[$0] == nil }
        awaited = []
        passInProgress = false
    }
}
