import TWMonCore

/// Reads the namespace-wide TIME_WAIT total (`ROOT/net/sockstat`, `tw`) and its limit
/// (`ROOT/sys/net/ipv4/tcp_max_tw_buckets`).
public final class NamespaceCountersReader {
    public let procRoot: String
    private let reader = ProcFileReader(initialCapacity: 4_096)

    public init(procRoot: String) {
        self.procRoot = procRoot
    }

    /// Both figures, or nil when either file is missing or unreadable (a captured proc root
    /// without them): the namespace alert then has nothing to judge.
    public func read() -> NamespaceTimeWait? {
        guard let sockstat = text(procRoot + "/net/sockstat"), let timeWait = SockstatParser.timeWait(in: sockstat),
              let limitText = text(procRoot + "/sys/net/ipv4/tcp_max_tw_buckets"),
              let limit = Int(limitText.trimmingWhitespace())
        else { return nil }
        return NamespaceTimeWait(timeWait: timeWait, maxBuckets: limit)
    }

    private func text(_ path: String) -> String? {
        guard (try? reader.read(path: path)) == true else { return nil }
        return reader.withBytes { String(decoding: $0, as: UTF8.self) }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
