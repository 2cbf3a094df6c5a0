import CTWMonCloseEvents
import Foundation
import Glibc
import TWMonCore

/// Exact TCP close events from the kernel: the BPF program on `tp_btf/inet_sock_set_state`
/// (embedded at build time, loaded with libbpf) counts every active close, reset, passive
/// close and CLOSE_WAIT end per (namespace, port, socket cgroup) in every network namespace,
/// and samples who closed first. The counts live in kernel maps; `read()` copies them out.
///
/// Opening needs CAP_BPF and CAP_PERFMON (and a seccomp filter that lets bpf() through): the
/// source is opt-in (`[events] source = "ebpf"`). One instance at a time is enough: each
/// instance loads its own program, and every loaded one runs on every TCP state change.
/// Not thread-safe: one reader (the scan loop) at a time.
public final class CloseEventSource {
    /// Where the kernel publishes its BTF.
    public static let kernelBTFPath = "/sys/kernel/btf/vmlinux"

    private var handle: OpaquePointer?
    private let cpus: Int
    // Buffers the maps are copied into, sized once: for the maps' limits, except the per-CPU
    // closer samples, read in pieces of `closerPiece` ports.
    private var countKeys: [twmon_count_key]
    private var countValues: [twmon_counts]
    private var closerKeys: [twmon_closer_key]
    private var closerValues: [twmon_closers]
    private var namespaceKeys: [UInt32]
    private var namespaceValues: [twmon_namespace]
    private var closeWaitKeys: [UInt64]
    private var closeWaitValues: [twmon_close_wait]

    /// Ports whose closer samples are copied per system call.
    private static let closerPiece = 64

    private init(handle: OpaquePointer) {
        self.handle = handle
        cpus = Int(twmon_close_events_cpus(handle))
        countKeys = Array(repeating: twmon_count_key(), count: Int(TWMON_MAX_COUNT_KEYS))
        countValues = Array(repeating: twmon_counts(), count: Int(TWMON_MAX_COUNT_KEYS))
        closerKeys = Array(repeating: twmon_closer_key(), count: Self.closerPiece)
        closerValues = Array(repeating: twmon_closers(), count: Self.closerPiece * cpus)
        namespaceKeys = Array(repeating: 0, count: Int(TWMON_MAX_NAMESPACES))
        namespaceValues = Array(repeating: twmon_namespace(), count: Int(TWMON_MAX_NAMESPACES))
        closeWaitKeys = Array(repeating: 0, count: Int(TWMON_MAX_CLOSE_WAIT))
        closeWaitValues = Array(repeating: twmon_close_wait(), count: Int(TWMON_MAX_CLOSE_WAIT))
    }

    deinit { close() }

    /// Loads and attaches the program. From then on every TCP state change is counted until
    /// `close()` (or deinit).
    ///
    /// Throws `noKernelBTF` without `/sys/kernel/btf/vmlinux`; on EPERM/ENOSYS it tells a
    /// missing capability apart from a seccomp filter by the process's own `CapEff` and
    /// `Seccomp` lines in /proc/self/status.
    public static func open() throws(CloseEventSourceError) -> CloseEventSource {
        guard access(kernelBTFPath, F_OK) == 0 else { throw .noKernelBTF(path: kernelBTFPath) }
        guard let object = Data(base64Encoded: closeEventsBPFObjectBase64) else {
            throw .loadFailed(stage: .open, errno: EINVAL, message: "the embedded object is not base64")
        }
        var handle: OpaquePointer?
        var stage = TWMON_STAGE_OPEN
        var message = [CChar](repeating: 0, count: 256)
        let result = object.withUnsafeBytes { bytes in
            twmon_close_events_open(bytes.baseAddress, bytes.count, &handle, &stage, &message, message.count)
        }
        guard result == 0, let handle else {
            let code = -result
            if stage == TWMON_STAGE_LOAD || stage == TWMON_STAGE_ATTACH, code == EPERM || code == ENOSYS {
                throw refusal(code, ProcessPrivileges.current())
            }
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .loadFailed(stage: Stage(stage), errno: code, message: text)
        }
        return CloseEventSource(handle: handle)
    }

    /// Which error a refused bpf() is, given what the process holds.
    static func refusal(_ code: Int32, _ privileges: ProcessPrivileges) -> CloseEventSourceError {
        let missing = [("CAP_BPF", privileges.hasBPF), ("CAP_PERFMON", privileges.hasPerfmon)].filter { !$0.1 }.map(\.0)
        if code == EPERM, !missing.isEmpty { return .missingCapabilities(missing: missing) }
        if privileges.seccompFiltered { return .systemCallFiltered(errno: code) }
        if code == ENOSYS { return .noBPFSystemCall }
        return .missingCapabilities(missing: missing.isEmpty ? ["a privilege bpf() asks for (kernel.unprivileged_bpf_disabled, an LSM)"] : missing)
    }

    private static func Stage(_ stage: twmon_close_events_stage) -> CloseEventSourceError.Stage {
        switch stage {
        case TWMON_STAGE_LOAD: .load
        case TWMON_STAGE_ATTACH: .attach
        default: .open
        }
    }

    /// The inode of /proc/self/net/tcp: how the maps' `namespaces` name twmond's own network
    /// namespace (`CloseEventCounts.namespaceInode(procTCPInode:)`); nil when unreadable.
    public static func ownNamespaceKey() -> UInt64? {
        var status = stat()
        return stat("/proc/self/net/tcp", &status) == 0 ? UInt64(status.st_ino) : nil
    }

    /// Detaches the program; the kernel frees its maps. Reading afterwards returns nothing.
    public func close() {
        twmon_close_events_close(handle)
        handle = nil
    }

    /// The counters since `open()`, as the kernel holds them: O(entries), a few batched
    /// system calls per map; nothing is reset. Check them with `CloseEventCounts(validating:)`.
    public func read() throws(CloseEventSourceError) -> CloseEventRead {
        guard let handle else { return CloseEventRead() }
        var read = CloseEventRead()
        let counts = twmon_close_events_read_counts(handle, &countKeys, &countValues, UInt32(countKeys.count))
        guard counts >= 0 else { throw .readFailed(map: "counts", errno: -counts) }
        read.counts = (0..<Int(counts)).map { index in
            let key = countKeys[index], value = countValues[index]
            return CloseCountRecord(
                namespaceInode: key.netns_inum, port: key.port, side: key.side, cgroupID: key.cgroup_id,
                counts: CloseCounts(activeCloses: value.active_closes, resets: value.resets,
                                    passiveCloses: value.passive_closes, closeWaitEnds: value.close_wait_ends))
        }
        var batch = twmon_batch()
        while batch.finished == 0 {
            let closers = twmon_close_events_read_closers(handle, &closerKeys, &closerValues, UInt32(closerKeys.count), &batch)
            guard closers >= 0 else { throw .readFailed(map: "closers", errno: -closers) }
            if closers == 0, batch.finished == 0 { throw .readFailed(map: "closers", errno: ENOSPC) }
            read.closers += (0..<Int(closers)).map { index in
                let key = closerKeys[index]
                let slots = closerValues[index * cpus..<(index + 1) * cpus].flatMap { sample in
                    withUnsafeBytes(of: sample.slots) { raw in
                        raw.bindMemory(to: twmon_closer_slot.self).map { slot in
                            CloserSlotRecord(pid: slot.tgid, closes: slot.closes, error: slot.error,
                                             comm: withUnsafeBytes(of: slot.comm) { Array($0) })
                        }
                    }
                }
                return CloserRecord(namespaceInode: key.netns_inum, port: key.port, side: key.side, slots: slots)
            }
        }
        let namespaces = twmon_close_events_read_namespaces(handle, &namespaceKeys, &namespaceValues, UInt32(namespaceKeys.count))
        guard namespaces >= 0 else { throw .readFailed(map: "namespaces", errno: -namespaces) }
        read.namespaces = (0..<Int(namespaces)).map { index in
            NamespaceRecord(namespaceInode: namespaceKeys[index], cookie: namespaceValues[index].cookie,
                            procTCPInode: namespaceValues[index].proc_tcp_inode)
        }
        let closeWait = twmon_close_events_read_close_wait(handle, &closeWaitKeys, &closeWaitValues, UInt32(closeWaitKeys.count))
        guard closeWait >= 0 else { throw .readFailed(map: "close_wait", errno: -closeWait) }
        // After the copy: every entry time read is at or before it (the same clock as bpf_ktime_get_ns).
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        read.readAtNanoseconds = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        read.closeWait = closeWaitValues.prefix(Int(closeWait)).map { entry in
            CloseWaitRecord(namespaceInode: entry.netns_inum, port: entry.port, enteredNanoseconds: entry.entered_ns)
        }
        var totals = [UInt64](repeating: 0, count: Int(TWMON_STAT_COUNT.rawValue))
        let statsResult = twmon_close_events_read_stats(handle, &totals)
        guard statsResult == 0 else { throw .readFailed(map: "stats", errno: -statsResult) }
        let info = try programInfo()
        read.statistics = CloseEventStatistics(
            events: totals[Int(TWMON_STAT_EVENTS.rawValue)], countsFull: totals[Int(TWMON_STAT_COUNTS_FULL.rawValue)],
            closersFull: totals[Int(TWMON_STAT_CLOSERS_FULL.rawValue)], namespacesFull: totals[Int(TWMON_STAT_NAMESPACES_FULL.rawValue)],
            listenersFull: totals[Int(TWMON_STAT_LISTENERS_FULL.rawValue)], recursionMisses: info.recursionMisses)
        return read
    }

    /// Tells the program that `ports` listen in the namespace `namespaceInode`. The program
    /// learns a listener by itself when it is made or accepts a connection, so this only matters
    /// for connections accepted before `open()` by a listener that has accepted none since: they
    /// are then counted under their port (side `.local`) instead of under their clients' ports.
    /// Cheap for ports it knows (one failed insert each): twmond can pass the server ports of a scan.
    public func noteListeningPorts(_ ports: some Sequence<UInt16>, namespaceInode: UInt32) throws(CloseEventSourceError) {
        guard let handle else { return }
        for port in ports {
            let result = twmon_close_events_add_listener(handle, namespaceInode, port)
            guard result == 0 else { throw .readFailed(map: "listeners", errno: -result) }
        }
    }

    /// The kernel's figures for the program: run time and runs (counted only while
    /// `kernel.bpf_stats_enabled` = 1) and events it missed.
    public func programInfo() throws(CloseEventSourceError) -> CloseEventProgramInfo {
        guard let handle else { return CloseEventProgramInfo(runTimeNanoseconds: 0, runCount: 0, recursionMisses: 0) }
        var info = twmon_close_events_program_info()
        let result = twmon_close_events_program_info(handle, &info)
        guard result == 0 else { throw .readFailed(map: "program info", errno: -result) }
        return CloseEventProgramInfo(runTimeNanoseconds: info.run_time_ns, runCount: info.run_count, recursionMisses: info.recursion_misses)
    }
}

/// The kernel's own figures for the loaded program (`bpf_prog_info`).
public struct CloseEventProgramInfo: Sendable, Equatable {
    /// Nanoseconds spent in the program while `kernel.bpf_stats_enabled` = 1.
    public var runTimeNanoseconds: UInt64
    /// Runs counted while `kernel.bpf_stats_enabled` = 1.
    public var runCount: UInt64
    /// State changes not handed to the program because it was already running on that CPU.
    public var recursionMisses: UInt64
}

/// What the process holds that decides whether bpf() may be called, from /proc/self/status.
struct ProcessPrivileges: Equatable {
    var hasBPF: Bool
    var hasPerfmon: Bool
    /// `Seccomp: 2`: a filter is installed (systemd's SystemCallFilter=, a container runtime's).
    var seccompFiltered: Bool

    static func current() -> ProcessPrivileges {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return parse(status)
    }

    /// Reads `CapEff:` (hex; CAP_PERFMON is bit 38, CAP_BPF bit 39) and `Seccomp:`.
    static func parse(_ status: String) -> ProcessPrivileges {
        var effective: UInt64 = 0
        var seccomp = false
        for line in status.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2 else { continue }
            if fields[0] == "CapEff" { effective = UInt64(fields[1], radix: 16) ?? 0 }
            if fields[0] == "Seccomp" { seccomp = fields[1] == "2" }
        }
        return ProcessPrivileges(hasBPF: effective & (1 << 39) != 0, hasPerfmon: effective & (1 << 38) != 0, seccompFiltered: seccomp)
    }
}
