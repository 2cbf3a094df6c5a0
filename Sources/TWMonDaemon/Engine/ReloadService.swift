import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP (`systemctl reload twmond`).
public struct ReloadService: Service {
    private let engine: MonitorEngine

    public init(engine: MonitorEngine) {
        self.engine = engine
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            await engine.reload()
        }
    }
}
