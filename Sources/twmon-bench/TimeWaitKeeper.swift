import Glibc
import TWMonTestSupport

/// Keeps a namespace's TIME_WAIT count near its target while something is measured in it.
///
/// TIME_WAIT lasts 60 s, less than a measurement with many scans takes, so the sockets that
/// expire are made again: whenever `topUp()` finds the namespace short of its target by more
/// than half a per cent (less what load generators still running are making), it starts a new
/// load generator on a server port of its own (so on 4-tuples of its own). The kernel expires
/// TIME_WAIT sockets in batches, so the count dips for a moment now and then; the lowest,
/// highest and mean counts seen since the last `restartStatistics()` are kept.
final class TimeWaitKeeper {
    private let namespace: ScratchNamespace
    private let target: Int
    private let loadgen: String
    /// The load generator's arguments for a count and a server port.
    private let arguments: (Int, Int) -> [String]
    /// A process in the namespace, to read its /proc/net/sockstat through.
    private let probe: pid_t
    private var nextPort: Int
    private var refills: [(process: ChildProcess, count: Int)] = []
    private(set) var low: Int?
    private(set) var high: Int?
    private var sum = 0, samples = 0

    init(namespace: ScratchNamespace, target: Int, loadgen: String, probe: pid_t, firstPort: Int, arguments: @escaping (Int, Int) -> [String]) {
        self.namespace = namespace
        self.target = target
        self.loadgen = loadgen
        self.probe = probe
        self.nextPort = firstPort
        self.arguments = arguments
    }

    /// The mean of the counts seen, or nil before the first.
    var mean: Int? { samples > 0 ? sum / samples : nil }

    /// Forgets the counts seen so far (a new measurement starts).
    func restartStatistics() {
        low = nil
        high = nil
        sum = 0
        samples = 0
    }

    /// Reads the namespace's TIME_WAIT count and starts a load generator for what it lacks.
    func topUp() throws {
        guard let counts = ScratchNamespace.sockstat(of: probe) else { return }
        samples += 1
        sum += counts.timeWait
        low = min(low ?? counts.timeWait, counts.timeWait)
        high = max(high ?? counts.timeWait, counts.timeWait)
        refills.removeAll { !$0.process.isRunning }
        let missing = target - counts.timeWait - refills.reduce(0) { $0 + $1.count }
        if missing > target / 200 {
            refills.append((try namespace.start([loadgen] + arguments(missing, nextPort), output: .discarded), missing))
            nextPort += 1
        }
    }
}
