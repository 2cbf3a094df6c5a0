/// The distribution of scan durations since the daemon started, as a Prometheus histogram:
/// cumulative counts per upper bound, their sum and count. Fixed bounds from 1 ms (an idle
/// netlink scan) to 2.5 s (a /proc scan of a table far beyond 120 000 sockets).
public struct ScanDurationHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, in seconds, ascending (`+Inf` is implicit).
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// Observations at or below each bound (not cumulative; `cumulative` adds them up).
    private var perBucket: [Int]
    /// Observations above the largest bound.
    private var overflow = 0
    /// The sum of all observations, in seconds.
    public private(set) var sum: Double = 0
    /// The number of observations.
    public private(set) var count = 0

    public init() {
        perBucket = Array(repeating: 0, count: Self.bounds.count)
    }

    /// Records one scan of `seconds` (a negative or non-finite value counts as 0).
    public mutating func observe(_ seconds: Double) {
        let value = seconds.isFinite && seconds > 0 ? seconds : 0
        if let index = Self.bounds.firstIndex(where: { value <= $0 }) {
            perBucket[index] += 1
        } else {
            overflow += 1
        }
        sum += value
        count += 1
    }

    /// Observations at or below each of `bounds`, in order (what `le` buckets report).
    public var cumulative: [Int] {
        var running = 0
        return perBucket.map { running += $0; return running }
    }
}
