import TWMonCore

/// Reads the namespace-wide figures under a proc root (normally `/proc`): the TIME_WAIT total
/// (`ROOT/net/sockstat`, `tw`) and its limit (`ROOT/sys/net/ipv4/tcp_max_tw_buckets`), the
/// ephemeral range (`ip_local_port_range`, `ip_local_reserved_ports`), `tcp_tw_reuse`, and the
/// TIME_WAIT event counters (`ROOT/net/netstat`, TcpExt). /proc/sys/net and /proc/net show the
/// network namespace of the process reading them, so each is read per namespace.
public final class NamespaceCountersReader {
    public let procRoot: String
    private let reader = ProcFileReader(initialCapacity: 4_096)

    /// The largest file read here: netstat is a few KiB, sockstat a few hundred bytes, a sysctl a dozen.
    public static let fileSizeLimit = 64 * 1024

    public init(procRoot: String) {
        self.procRoot = procRoot
    }

    /// The figures; each part is nil when its files are missing (a captured proc root without
    /// them leaves its alert with nothing to judge). A netstat file without the TcpExt
    /// TIME_WAIT counters is a problem (`missingFigures`): `tw_overflow` could never fire. Throws the first problem of any part: a file
    /// that cannot be read or holds a value out of range (`tw 9223372036854775807`, a negative
    /// limit, a port range 0 70000).
    public func read() throws(NamespaceCountersError) -> NamespaceCounters {
        let (counters, problems) = readEach()
        if let first = problems.first { throw first }
        return counters
    }

    /// The figures each part of which could be read, and the problems of the others: one bad
    /// file (an odd netstat line, say) leaves the other parts, and their alerts, working.
    public func readEach() -> (counters: NamespaceCounters, problems: [NamespaceCountersError]) {
        let sysctl = procRoot + "/sys/net/ipv4/"
        let sockstatPath = procRoot + "/net/sockstat", limitPath = sysctl + "tcp_max_tw_buckets"
        let rangePath = sysctl + "ip_local_port_range", reservedPath = sysctl + "ip_local_reserved_ports"
        let reusePath = sysctl + "tcp_tw_reuse", netstatPath = procRoot + "/net/netstat"
        var counters = NamespaceCounters()
        var problems: [NamespaceCountersError] = []
        func part(_ body: () throws -> Void) {
            do {
                try body()
            } catch let error as KernelValueError {
                problems.append(.invalidValue(error))
            } catch let error as NamespaceCountersError {
                problems.append(error)
            } catch {
                preconditionFailure("unexpected \(error)")
            }
        }
        part {
            if let sockstat = try text(sockstatPath), let limitText = try text(limitPath),
               let timeWait = try SockstatParser.timeWait(in: sockstat, source: sockstatPath) {
                counters.timeWait = NamespaceTimeWait(timeWait: timeWait, maxBuckets: try KernelCount.parse(limitText[...], source: limitPath))
            }
        }
        part {
            if let rangeText = try text(rangePath) {
                counters.ephemeralPorts = try PortRangeParser.range(
                    rangeText, reserved: try text(reservedPath), rangeSource: rangePath, reservedSource: reservedPath)
            }
        }
        part {
            if let reuse = try text(reusePath) {
                counters.twReuse = try KernelCount.parse(reuse[...], source: reusePath)
            }
        }
        part {
            if let netstat = try text(netstatPath) {
                counters.timeWaitEvents = try NetstatParser.timeWaitEvents(in: netstat, source: netstatPath)
                if counters.timeWaitEvents == nil {
                    throw NamespaceCountersError.missingFigures(path: netstatPath, figures: "TcpExt TCPTimeWaitOverflow and TWRecycled counters", kind: .twOverflow)
                }
            }
        }
        return (counters, problems)
    }

    private func text(_ path: String) throws(NamespaceCountersError) -> String? {
        do {
            guard try reader.read(path: path, limit: Self.fileSizeLimit) else { return nil }
        } catch {
            throw .unreadable(error)
        }
        return reader.withBytes { String(decoding: $0, as: UTF8.self) }
    }
}
