import Logging
import TWMonCore

/// A swift-log handler that writes each log line as a structured journal entry: metadata
/// becomes fields (names made valid: `[A-Z0-9_]`), the level becomes PRIORITY. The level is
/// a `SharedLogLevel`: every handler made with the same one follows it.
public struct JournalLogHandler: LogHandler {
    /// The shared level: setting it here sets it for every handler sharing it.
    public var logLevel: Logger.Level {
        get { level.value }
        nonmutating set { level.value = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: any JournalSink
    private let level: SharedLogLevel

    /// `label` is what swift-log passes to a factory; every entry carries twmond's one
    /// SYSLOG_IDENTIFIER, so it is not kept.
    public init(label: String, sink: any JournalSink, level: SharedLogLevel) {
        self.sink = sink
        self.level = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var fields: [(name: String, value: String)] = [("SYSLOG_IDENTIFIER", AlertJournal.syslogIdentifier)]
        for key in merged.keys.sorted() {
            fields.append((JournalEntry.fieldName("TWMON_" + key), "\(merged[key]!)"))
        }
        if let error = event.error { fields.append(("TWMON_ERROR", "\(error)")) }
        fields += [("CODE_FILE", event.file), ("CODE_LINE", String(event.line)), ("CODE_FUNC", event.function)]
        sink.send(JournalEntry(message: event.message.description, priority: Self.priority(event.level), fields: fields))
    }

    /// swift-log levels to syslog priorities.
    public static func priority(_ level: Logger.Level) -> JournalEntry.Priority {
        switch level {
        case .trace, .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
