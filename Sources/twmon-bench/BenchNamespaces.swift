import Glibc
import TWMonSystem
import TWMonTestSupport

extension ScratchNamespace {
    /// A namespace for the benchmark, whose waits SIGINT and SIGTERM interrupt, with room for
    /// `maxTimeWait` TIME_WAIT sockets and a wide ephemeral port range.
    static func forBenchmark(name: String, maxTimeWait: Int) throws -> ScratchNamespace {
        let namespace = try ScratchNamespace(name: name, checkInterrupted: checkInterrupted)
        // On a throw the namespace goes, and its deinit deletes it.
        try namespace.check([
            "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000",
            "net.ipv4.tcp_max_tw_buckets=\(maxTimeWait)",
        ])
        return namespace
    }

    /// `net:[INODE]`, as /proc/PID/ns/net names the namespace.
    var identity: String {
        var status = stat()
        guard stat("/run/netns/" + name, &status) == 0 else { return "" }
        return "net:[\(status.st_ino)]"
    }

    /// Makes a socket inside the namespace: the calling thread enters it for the `socket()` call
    /// and returns to its own namespace; the socket stays in the one it was made in.
    func makeSocket(domain: Int32, type: Int32) throws -> Int32 {
        let own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard own >= 0 else { throw BenchFailure("open /proc/thread-self/ns/net: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(own) }
        let target = open("/run/netns/" + name, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw BenchFailure("open /run/netns/\(name): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(target) }
        guard setns(target, cloneNewNetwork) == 0 else { throw BenchFailure("setns \(name): \(String(cString: strerror(errno)))") }
        let descriptor = socket(domain, type, 0)
        let socketError = errno
        guard setns(own, cloneNewNetwork) == 0 else {
            // Staying in the benchmark's namespace would make every later figure wrong.
            fatalError("cannot return to the benchmark's own network namespace: \(String(cString: strerror(errno)))")
        }
        guard descriptor >= 0 else { throw BenchFailure("socket in \(name): \(String(cString: strerror(socketError)))") }
        return descriptor
    }

    /// The namespace's `TCP:` line of /proc/net/sockstat, read through a process inside it.
    static func sockstat(of pid: pid_t) -> (inUse: Int, timeWait: Int)? {
        guard let text = readProcText("/proc/\(pid)/net/sockstat"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TCP:") })
        else { return nil }
        let words = line.split(separator: " ")
        func value(_ key: String) -> Int? {
            guard let index = words.firstIndex(where: { $0 == key }), index + 1 < words.count else { return nil }
            return Int(words[index + 1])
        }
        guard let inUse = value("inuse"), let timeWait = value("tw") else { return nil }
        return (inUse, timeWait)
    }
}

/// setns(2), which Glibc's module map leaves out (it needs _GNU_SOURCE).
@_silgen_name("setns")
private func setns(_ descriptor: Int32, _ type: Int32) -> Int32

/// CLONE_NEWNET of <sched.h> (also left out): setns accepts only a network namespace.
private let cloneNewNetwork: Int32 = 0x4000_0000

/// TCP sockets (in use and TIME_WAIT) in the machine's other network namespaces, found through
/// the processes in them. All namespaces share the kernel's socket hash table, and every scan
/// (/proc or netlink) walks all of it, so load elsewhere on the machine shows in the figures.
func socketsElsewhere(than excluded: ScratchNamespace) -> Int {
    guard let directory = opendir("/proc") else { return 0 }
    defer { closedir(directory) }
    var seen: Set<String> = [excluded.identity]
    var sockets = 0
    var buffer = [CChar](repeating: 0, count: 256)
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let pid = pid_t(name) else { continue }
        let length = readlink("/proc/\(pid)/ns/net", &buffer, buffer.count - 1)
        guard length > 0 else { continue }
        let namespace = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard !seen.contains(namespace), let counts = ScratchNamespace.sockstat(of: pid) else { continue }
        seen.insert(namespace)
        sockets += counts.inUse + counts.timeWait
    }
    return sockets
}

/// The text of a small file (/proc), or nil.
func readProcText(_ path: String) -> String? {
    let reader = ProcFileReader(initialCapacity: 16_384)
    guard (try? reader.read(path: path, limit: 1 << 20)) == true else { return nil }
    return reader.withBytes { String(decoding: $0, as: UTF8.self) }
}

/// A `Vm…:  1234 kB` field of /proc/PID/status, in KiB.
func statusField(_ name: String, of pid: pid_t) -> Int? {
    guard let text = readProcText("/proc/\(pid)/status"),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") })
    else { return nil }
    return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
}

/// CPU time a process has used, in seconds: the nanoseconds on CPU of each of its threads
/// (/proc/PID/task/*/schedstat), or when the kernel has no schedstat, utime + stime of
/// /proc/PID/stat (clock ticks, 10 ms each).
func processCPUSeconds(of pid: pid_t) -> Double? {
    if let directory = opendir("/proc/\(pid)/task") {
        defer { closedir(directory) }
        var nanoseconds = 0.0
        var threads = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.first?.isNumber == true,
                  let text = readProcText("/proc/\(pid)/task/\(name)/schedstat"),
                  let first = text.split(separator: " ").first, let value = Double(first)
            else { continue }
            nanoseconds += value
            threads += 1
        }
        if threads > 0 && nanoseconds > 0 { return nanoseconds / 1e9 }
    }
    return processTicks(of: pid).map { $0.user + $0.system }
}

/// utime and stime of /proc/PID/stat, in seconds (all threads, also those that ended).
func processTicks(of pid: pid_t) -> (user: Double, system: Double)? {
    guard let text = readProcText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
    // Fields after the command name: state is field 3, utime 14, stime 15.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user / tick, system / tick)
}
