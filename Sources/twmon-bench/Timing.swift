import Glibc

/// CPU and wall time of one piece of work, in seconds.
struct Cost {
    /// CPU time of the whole process (user + system), CLOCK_PROCESS_CPUTIME_ID.
    var cpu: Double
    /// Elapsed time, CLOCK_MONOTONIC.
    var wall: Double

    /// Runs `body` once and measures it.
    static func of(_ body: () throws -> Void) rethrows -> Cost {
        let cpuStart = now(CLOCK_PROCESS_CPUTIME_ID), wallStart = now(CLOCK_MONOTONIC)
        try body()
        return Cost(cpu: now(CLOCK_PROCESS_CPUTIME_ID) - cpuStart, wall: now(CLOCK_MONOTONIC) - wallStart)
    }

    static func now(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Seconds on CLOCK_MONOTONIC.
func monotonicNow() -> Double { Cost.now(CLOCK_MONOTONIC) }

/// Repeated measurements of one piece of work; the figures reported are medians.
struct Samples {
    private(set) var cpu: [Double] = []
    private(set) var wall: [Double] = []

    mutating func append(_ cost: Cost) {
        cpu.append(cost.cpu)
        wall.append(cost.wall)
    }

    var median: Cost { Cost(cpu: Self.median(cpu), wall: Self.median(wall)) }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
