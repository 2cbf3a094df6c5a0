import TWMonCore

/// Why the namespace's TIME_WAIT figures could not be read: the scan goes on without the
/// namespace alert, and the problem is reported.
public enum NamespaceCountersError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `net/sockstat` or `tcp_max_tw_buckets` could not be read (not a regular file, too large).
    case unreadable(FileReadError)
    /// A figure in them is not a count the kernel could print.
    case invalidValue(KernelValueError)
    /// A file that is there lacks the figures an alert kind judges (`net/netstat` without the
    /// TcpExt `TCPTimeWaitOverflow` and `TWRecycled` counters): that kind can never fire.
    case missingFigures(path: String, figures: String, kind: AlertKind)

    public var description: String {
        switch self {
        case .unreadable(let error): "namespace counters: \(error)"
        case .invalidValue(let error): "namespace counters: \(error)"
        case .missingFigures(let path, let figures, let kind): "namespace counters: \(path) has no \(figures), so \(kind.rawValue) cannot fire"
        }
    }
}
