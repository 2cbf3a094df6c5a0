import NIOCore

/// The two deadlines of a served connection (control socket and metrics endpoint alike), on
/// its event loop: `onIdle` once no request has completed for `idleTimeout` (a client that
/// connects and sleeps, or drips bytes), `onLifetimeEnd` once `lifetime` has passed since the
/// start, whatever the client does (the idle deadline cannot be renewed forever).
final class ConnectionDeadlines {
    private let idleTimeout: TimeAmount
    private let lifetime: TimeAmount
    private var lastRequest = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    private var lifetimeEnd: Scheduled<Void>?

    /// The deadlines of `limits`: `idleTimeout` and `maximumLifetime`.
    init(limits: ConnectionLimits) {
        idleTimeout = TimeAmount(limits.idleTimeout)
        lifetime = TimeAmount(limits.maximumLifetime)
    }

    /// Whether `start` was called (and `cancel` not since).
    var isStarted: Bool { idleCheck != nil }

    /// Starts both clocks now.
    func start(on loop: any EventLoop, onIdle: @escaping () -> Void, onLifetimeEnd: @escaping () -> Void) {
        guard !isStarted else { return }
        lastRequest = .now()
        scheduleIdleCheck(on: loop, at: lastRequest + idleTimeout, onIdle: onIdle)
        lifetimeEnd = loop.assumeIsolated().scheduleTask(in: lifetime, onLifetimeEnd)
    }

    /// A request completed: the idle clock starts again.
    func requestCompleted() {
        lastRequest = .now()
    }

    /// Stops both clocks (the connection is closing).
    func cancel() {
        idleCheck?.cancel()
        idleCheck = nil
        lifetimeEnd?.cancel()
        lifetimeEnd = nil
    }

    private func scheduleIdleCheck(on loop: any EventLoop, at deadline: NIODeadline, onIdle: @escaping () -> Void) {
        idleCheck = loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            let due = lastRequest + idleTimeout
            if NIODeadline.now() >= due {
                onIdle()
            } else {
                scheduleIdleCheck(on: loop, at: due, onIdle: onIdle)
            }
        }
    }
}
