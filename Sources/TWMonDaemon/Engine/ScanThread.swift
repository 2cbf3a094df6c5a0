import Dispatch
import Glibc
import NIOCore
import NIOPosix

/// The thread a `MonitorEngine` runs on: a one-thread NIO event loop group, whose loop is a
/// serial executor. A scan blocks (a /proc read or a netlink dump), so the engine's jobs run
/// here instead of on Swift's cooperative pool, and timers, the control socket and every other
/// task go on meanwhile.
///
/// The thread is named (its `/proc/thread-self/comm`, at most 15 bytes) so that `top -H` and the
/// tests can tell it apart. It ends when its owner releases this value: the group is shut down.
final class ScanThread: Sendable {
    /// The thread's name as the kernel shows it.
    static let name = "twmon-scan"

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init() {
        // The loop runs its jobs in order: the thread is named before it runs anything else.
        group.next().execute { Self.nameThisThread() }
    }

    deinit {
        group.shutdownGracefully(queue: .global()) { _ in }
    }

    /// The loop, as the executor of an actor.
    var executor: UnownedSerialExecutor {
        group.next().executor.asUnownedSerialExecutor()
    }

    /// What `pthread_setname_np` does (which Swift cannot see without _GNU_SOURCE). A failure
    /// only leaves NIO's name.
    private static func nameThisThread() {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        close(descriptor)
    }
}
