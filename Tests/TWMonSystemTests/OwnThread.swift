import Dispatch

/// A task executor with a thread of its own (a private serial dispatch queue, which gets a new
/// thread when it needs one), off Swift's cooperative pool.
///
/// The pool has only two threads on this machine, and synchronous tests running alongside
/// block them for seconds; an in-process server started there could not even bind in time.
/// Blocking test code (socket calls, child processes, sleeps) and in-process servers run here
/// instead. The work stays in its task, so `#expect` still reports to the right test.
final class OwnThread: TaskExecutor {
    private let queue = DispatchQueue(label: "twmon.tests.own-thread")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs blocking `work` in the calling task, on a thread of its own.
    static func run<Result>(_ work: () throws -> Result) async throws -> Result {
        try await withTaskExecutorPreference(OwnThread()) { try work() }
    }
}
