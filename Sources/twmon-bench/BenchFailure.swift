import Glibc

/// Why the benchmark stopped early.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// SIGINT/SIGTERM set this; every wait checks it, so the benchmark unwinds and cleans up.
nonisolated(unsafe) private var interruptedBySignal: sig_atomic_t = 0

/// Catches SIGINT and SIGTERM. The signal may reach any of the process's threads, so every wait
/// is short (at most a quarter of a second) and checks the flag after it; then the callers'
/// `defer` blocks stop processes and delete namespaces.
func catchInterruptions() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in interruptedBySignal = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}

func checkInterrupted() throws {
    if interruptedBySignal != 0 { throw BenchFailure("interrupted") }
}
