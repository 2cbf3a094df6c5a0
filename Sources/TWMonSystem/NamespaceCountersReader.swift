import TWMonCore

/// Reads the namespace-wide TIME_WAIT total (`ROOT/net/sockstat`, `tw`) and its limit
/// (`ROOT/sys/net/ipv4/tcp_max_tw_buckets`).
public final class NamespaceCountersReader {
    public let procRoot: String
    private let reader = ProcFileReader(initialCapacity: 4_096)

    /// The largest file read here: sockstat is a few hundred bytes, the sysctl a dozen.
    public static let fileSizeLimit = 64 * 1024

    public init(procRoot: String) {
        self.procRoot = procRoot
    }

    /// Both figures, or nil when either file (or sockstat's `tw`) is missing: a captured proc
    /// root without them leaves the namespace alert with nothing to judge. Throws when a file
    /// cannot be read or holds a value out of range (`tw 9223372036854775807`, a negative limit).
    public func read() throws(NamespaceCountersError) -> NamespaceTimeWait? {
        let sockstatPath = procRoot + "/net/sockstat"
        let limitPath = procRoot + "/sys/net/ipv4/tcp_max_tw_buckets"
        guard let sockstat = try text(sockstatPath), let limitText = try text(limitPath) else { return nil }
        do {
            guard let timeWait = try SockstatParser.timeWait(in: sockstat, source: sockstatPath) else { return nil }
            let limit = try KernelCount.parse(limitText[...], source: limitPath)
            return NamespaceTimeWait(timeWait: timeWait, maxBuckets: limit)
        } catch {
            throw .invalidValue(error)
        }
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
