import Logging
import Synchronization

/// One log level for every logger of the process: each `JournalLogHandler` made with it reads
/// the level from here, so setting `logLevel` on any of those loggers (a reload of `log.level`)
/// changes all of them, the engine's, the poller's and the control server's alike.
public final class SharedLogLevel: Sendable {
    private let level: Atomic<UInt8>

    public init(_ level: Logger.Level) {
        self.level = Atomic(Self.code(level))
    }

    /// The level in force.
    public var value: Logger.Level {
        get { Logger.Level.allCases[Int(level.load(ordering: .relaxed))] }
        set { level.store(Self.code(newValue), ordering: .relaxed) }
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level)!)
    }
}
