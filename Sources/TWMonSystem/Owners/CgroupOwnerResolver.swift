import CTWMonNetlink
import Glibc
import TWMonCore

/// Maps the cgroup v2 ids of LISTEN sockets (`INET_DIAG_CGROUP_ID`) to owners: the way iproute2
/// does for `ss --cgroup`, by walking the cgroup2 mount and asking `name_to_handle_at` for each
/// directory's id (no privilege needed), then reading the path with `CgroupOwnerParser`.
///
/// The mount is found in `/proc/self/mountinfo` (`/sys/fs/cgroup` on a unified host,
/// `/sys/fs/cgroup/unified` on a hybrid one, anywhere in a container). The map is kept and walked
/// again only when an id is missing from it (a unit started since), at most once per scan; an
/// id still missing after a walk (its cgroup was removed while the socket lives on) is not
/// searched for again until another miss causes a walk.
public final class CgroupOwnerResolver {
    /// Where the cgroup2 hierarchy is mounted, or nil.
    public let mountPoint: String?
    /// Why owners cannot be found here (no cgroup2 mount, a walk that fails), or nil.
    public private(set) var unavailable: String?
    /// Directories visited by the last walk.
    public private(set) var directoryCount = 0

    private var paths: [UInt64: String] = [:]
    private var owners: [UInt64: PortOwner] = [:]
    private var missing: Set<UInt64> = []
    private var mayWalk = true

    /// The walk stops at this depth below the mount and after this many directories.
    static let maximumDepth = 32
    static let maximumDirectories = 200_000

    /// Finds the cgroup2 mount in `mountInfoPath`; makes no walk yet.
    public init(mountInfoPath: String = "/proc/self/mountinfo") {
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

    /// Allows one more walk: called once per scan.
    public func beginScan() {
        mayWalk = true
    }

    /// The owner of the cgroup with `id`, or nil when it cannot be found.
    public func owner(of id: UInt64) -> PortOwner? {
        if let owner = owners[id] { return owner }
        if paths[id] == nil, !missing.contains(id), mayWalk { walk() }
        guard let path = paths[id] else {
            missing.insert(id)
            return nil
        }
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        owners[id] = owner
        return owner
    }

    /// Maps every directory of the mount afresh.
    private func walk() {
        mayWalk = false
        guard let mountPoint else { return }
        final class Collected { var paths: [UInt64: String] = [:] }
        let collected = Collected()
        let visited = twmon_cgroup_walk(mountPoint, Self.maximumDepth, Self.maximumDirectories, { context, id, path in
            guard let context, let path else { return }
            Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue().paths[id] = String(cString: path)
        }, Unmanaged.passUnretained(collected).toOpaque())
        withExtendedLifetime(collected) {}
        guard visited >= 0 else {
            unavailable = "cannot read the cgroup2 mount \(mountPoint): \(String(cString: strerror(errno)))"
            return
        }
        unavailable = nil
        directoryCount = visited
        paths = collected.paths
        owners = [:]
        missing = []
    }
}
