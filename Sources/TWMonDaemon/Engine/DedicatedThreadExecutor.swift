import Glibc
import Synchronization

/// A serial executor with a thread of its own, for an actor whose methods block: a scan reads
/// /proc or a netlink dump synchronously, for up to a quarter of a second on a large table.
/// Jobs of such an actor run on this thread instead of Swift's cooperative pool (as many
/// threads as cores, two here), so timers, the control socket and every other task never wait
/// behind a scan; callers simply `await` the actor's methods.
///
/// The thread is named (its `/proc/thread-self/comm`, at most 15 bytes) so that `top -H` and
/// the tests can tell it apart, and lives as long as the process.
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    /// The thread's name as the kernel shows it.
    public let name: String
    private let queue = Mutex<[UnownedJob]>([])
    /// Counts queued jobs; the thread sleeps on it while the queue is empty.
    private let available: UnsafeMutablePointer<sem_t>

    /// Starts the thread. `name` is cut to the kernel's 15 bytes.
    public init(name: String) {
        self.name = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        available = .allocate(capacity: 1)
        sem_init(available, 0, 0)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let executor = Unmanaged<DedicatedThreadExecutor>.fromOpaque(context!).takeRetainedValue()
            executor.runJobs()
        }, context)
        precondition(created == 0, "pthread_create for \(name) failed: \(created)")
        pthread_detach(thread)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.withLock { $0.append(unowned) }
        sem_post(available)
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// The thread's loop: one job per posted count, in the order they were enqueued.
    private func runJobs() -> Never {
        nameThisThread()
        while true {
            while sem_wait(available) != 0 {}  // EINTR only
            let job = queue.withLock { $0.removeFirst() }
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }

    /// What `pthread_setname_np` does (which Swift cannot see without _GNU_SOURCE). A failure
    /// only leaves the inherited name.
    private func nameThisThread() {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        close(descriptor)
    }
}
