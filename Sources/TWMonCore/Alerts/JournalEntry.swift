/// A structured journal entry: ordered `FIELD=value` pairs, rendered without I/O.
public struct JournalEntry: Sendable, Equatable {
    /// Syslog priorities as journald uses them.
    public enum Priority: Int, Sendable, Comparable {
        case emergency = 0, alert, critical, error, warning, notice, info, debug

        public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }

        /// `warning`, `notice`, … for stderr lines.
        public var name: String {
            switch self {
            case .emergency: "emerg"
            case .alert: "alert"
            case .critical: "crit"
            case .error: "error"
            case .warning: "warning"
            case .notice: "notice"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    /// Fields besides `MESSAGE` and `PRIORITY`, in order.
    public var fields: [(name: String, value: String)]
    /// The `MESSAGE` text, escaped for people (`TerminalText.escaped`): one line, whatever names
    /// it quotes. The other fields keep the exact text.
    public var message: String
    public var priority: Priority

    public init(message: String, priority: Priority, fields: [(name: String, value: String)] = []) {
        self.message = TerminalText.escaped(message)
        self.priority = priority
        self.fields = fields
    }

    /// Every field, `MESSAGE` and `PRIORITY` first, names made valid for journald.
    public var allFields: [(name: String, value: String)] {
        [("MESSAGE", message), ("PRIORITY", String(priority.rawValue))] + fields.map { (Self.fieldName($0.name), $0.value) }
    }

    /// A journald field name from any text: `[A-Z0-9_]`, not starting with `_` or a digit,
    /// at most 64 characters (journald drops invalid names silently).
    public static func fieldName(_ name: String) -> String {
        var result = ""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_": result.unicodeScalars.append(scalar)
            case "a"..."z": result.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            default: result.append("_")
            }
        }
        while result.hasPrefix("_") { result.removeFirst() }
        if result.isEmpty || result.first!.isNumber { result = "F_" + result }
        return String(result.prefix(64))
    }

    public static func == (lhs: JournalEntry, rhs: JournalEntry) -> Bool {
        lhs.message == rhs.message && lhs.priority == rhs.priority
            && lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// One line for a terminal: `warning: MESSAGE [FIELD=value …]`, field values escaped
    /// (`TerminalText.escaped`).
    public var terminalLine: String {
        let extras = fields.filter { !["SYSLOG_IDENTIFIER", "MESSAGE_ID"].contains($0.name) && !$0.name.hasPrefix("CODE_") && !$0.value.isEmpty }
            .map { "\($0.name)=\(TerminalText.escaped($0.value))" }.joined(separator: " ")
        return "\(priority.name): \(message)" + (extras.isEmpty ? "" : " [\(extras)]")
    }
}
