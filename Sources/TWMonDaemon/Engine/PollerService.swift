import Logging
import ServiceLifecycle
import TWMonCore
import TWMonSystem

/// Scans every `scan.interval` and keeps the systemd watchdog fed while scans succeed.
///
/// The first scan must succeed, or the daemon stops with an error (a wrong proc root should
/// fail loudly at start). Later failures are logged and retried; while they last the
/// watchdog is not fed, so systemd restarts a daemon that can no longer do its work. The sleep
/// between scans ends as soon as a graceful shutdown starts.
public struct PollerService: Service {
    private let engine: MonitorEngine
    private let notifier: SystemdNotifier
    private let watchdogInterval: Duration?
    private let logger: Logger

    public init(engine: MonitorEngine, notifier: SystemdNotifier, watchdogInterval: Duration?, logger: Logger) {
        self.engine = engine
        self.notifier = notifier
        self.watchdogInterval = watchdogInterval
        self.logger = logger
    }

    public func run() async throws {
        let clock = ContinuousClock()
        try await engine.scanOnce()
        var lastScanSucceeded = true
        var nextScan = clock.now + (await engine.interval)
        if watchdogInterval != nil { notifier.watchdog() }
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                var wake = nextScan
                if let watchdogInterval { wake = min(wake, clock.now + watchdogInterval) }
                do {
                    // Ends at once on SIGTERM, however long the interval.
                    try await cancelWhenGracefulShutdown { [wake] in try await Task.sleep(until: wake, clock: clock) }
                } catch {
                    break
                }
                if clock.now >= nextScan {
                    let started = clock.now
                    do {
                        try await engine.scanOnce()
                        lastScanSucceeded = true
                    } catch {
                        lastScanSucceeded = false
                    }
                    nextScan = started + (await engine.interval)
                }
                if watchdogInterval != nil && lastScanSucceeded { notifier.watchdog() }
            }
        } onGracefulShutdown: {
            notifier.stopping()
        }
        logger.info("poller stopped")
    }
}
