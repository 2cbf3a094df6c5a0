import TOMLKit

/// Reads twmond's TOML configuration, checking every key and value.
///
/// Unknown keys are errors (a misspelt key silently ignored is a setting that never applies);
/// all problems of a file are reported together, each with its dotted key.
public enum ConfigurationParser {
    /// Log levels accepted by `log.level`.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Parses `text`; `path` only names the file in errors.
    public static func parse(_ text: String, path: String? = nil) throws(ConfigurationError) -> Configuration {
        // The TOML parser reads a C string: a NUL would silently end the file there.
        if let position = nulPosition(in: text) {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: position, message: "NUL byte in the file")])
        }
        // TOMLKit hands strings over as C strings: an escaped NUL would silently cut the value
        // there (`"/x\u0000/y"` read as `/x`), so it is refused like a NUL byte.
        if let position = escapedNULPosition(in: text) {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: position, message: "NUL escape (\\u0000) in a string")])
        }
        if let finding = TOMLSyntaxGuard.firstFatalConstruct(in: text) {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: finding.position, message: finding.message)])
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let position = "line \(error.source.begin.line), column \(error.source.begin.column)"
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: position, message: "TOML syntax: \(error.description)")])
        } catch {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "file", message: "\(error)")])
        }
        var reader = Reader()
        var configuration = Configuration()
        reader.section(root, "scan") { reader, table in
            reader.double(table, "scan.interval", range: 0.1...3_600) { configuration.scan.interval = $0 }
            reader.string(table, "scan.source") { value in
                guard let source = ScanSourceKind(rawValue: value) else { return "must be one of \(ScanSourceKind.spelled)" }
                configuration.scan.source = source
                return nil
            }
            reader.string(table, "scan.proc_root") { value in
                guard value.hasPrefix("/") else { return "must be an absolute path" }
                configuration.scan.procRoot = value
                return nil
            }
            reader.string(table, "scan.namespaces") { value in
                guard let mode = NamespaceMode(rawValue: value) else { return "must be one of \(NamespaceMode.spelled)" }
                configuration.scan.namespaces = mode
                return nil
            }
        }
        reader.section(root, "alert") { reader, table in
            reader.int(table, "alert.time_wait_threshold", range: 1...Int(Int32.max)) { configuration.alert.timeWaitThreshold = $0 }
            reader.ratio(table, "alert.clear_ratio") { configuration.alert.clearRatio = $0 }
            reader.int(table, "alert.sustain", range: 1...1_000) { configuration.alert.sustain = $0 }
            reader.double(table, "alert.repeat", range: 0...(86_400 * 365)) { configuration.alert.repeatInterval = $0 }
            reader.int(table, "alert.top_peers", range: 0...100) { configuration.alert.topPeers = $0 }
            reader.double(table, "alert.tw_buckets_ratio", range: 0...1) { configuration.alert.twBucketsRatio = $0 }
        }
        reader.section(root, "close_wait") { reader, table in
            reader.int(table, "close_wait.threshold", range: 0...Int(Int32.max)) { configuration.closeWait.threshold = $0 }
            reader.double(table, "close_wait.min_age", range: 0...86_400) { configuration.closeWait.minAge = $0 }
        }
        reader.section(root, "ephemeral_ports") { reader, table in
            reader.double(table, "ephemeral_ports.ratio", range: 0...1) { configuration.ephemeralPorts.ratio = $0 }
        }
        reader.section(root, "tw_overflow") { reader, table in
            reader.bool(table, "tw_overflow.enabled") { configuration.twOverflow.enabled = $0 }
        }
        reader.section(root, "events") { reader, table in
            reader.string(table, "events.source") { value in
                guard let source = EventSourceKind(rawValue: value) else { return "must be one of \(EventSourceKind.spelled)" }
                configuration.events.source = source
                return nil
            }
        }
        if let ports = reader.take(root, "ports") {
            if let table = ports.table {
                for key in table.keys.sorted() {
                    let name = "ports.\(key)"
                    guard let port = canonicalPort(key) else {
                        reader.problem(name, "a port number from 1 to 65535, in decimal without sign or leading zeros, is expected as the key")
                        continue
                    }
                    guard let portTable = table[key]?.table else {
                        reader.problem(name, "must be a table ([ports.\(key)])")
                        continue
                    }
                    configuration.ports[port] = portOverride(portTable, name: name, reader: &reader)
                }
            } else {
                reader.problem("ports", "must be a table of [ports.N] tables")
            }
        }
        if let namespaces = reader.take(root, "namespaces") {
            if let table = namespaces.table {
                for pattern in table.keys {
                    let name = "namespaces.\(ConfigurationRenderer.quoted(pattern))"
                    if let problem = NamePattern.problem(with: pattern) {
                        reader.problem(name, problem)
                        continue
                    }
                    guard let patternTable = table[pattern]?.table else {
                        reader.problem(name, "must be a table ([namespaces.\"PATTERN\"])")
                        continue
                    }
                    configuration.namespaces.append(Configuration.NamespaceOverride(pattern: pattern, settings: portOverride(patternTable, name: name, reader: &reader)))
                }
                configuration.namespaces.sort { $0.pattern.utf8.count != $1.pattern.utf8.count ? $0.pattern.utf8.count > $1.pattern.utf8.count : $0.pattern < $1.pattern }
            } else {
                reader.problem("namespaces", "must be a table of [namespaces.\"PATTERN\"] tables")
            }
        }
        reader.section(root, "control") { reader, table in
            reader.string(table, "control.socket") { value in
                if let problem = Configuration.Control.problem(withSocketPath: value) { return problem }
                configuration.control.socket = value
                return nil
            }
        }
        reader.section(root, "metrics") { reader, table in
            reader.string(table, "metrics.textfile") { value in
                guard value.isEmpty || (value.hasPrefix("/") && !value.hasSuffix("/")) else { return "must be an absolute file path, or \"\" for none" }
                guard !value.utf8.contains(0) else { return "must not contain a NUL byte" }
                guard !value.split(separator: "/").contains("..") else {
                    return "must not contain \"..\" components: name the directory itself"
                }
                configuration.metrics.textfile = value
                return nil
            }
            reader.string(table, "metrics.listen") { value in
                guard value.isEmpty || MetricsListenAddress(value) != nil else {
                    return "must be ADDRESS:PORT with an IPv4 address or a bracketed IPv6 address and a port from 1 to 65535 (\"127.0.0.1:19632\", \"[::1]:19632\"), or \"\" for none"
                }
                configuration.metrics.listen = value
                return nil
            }
            reader.int(table, "metrics.client_ports", range: 0...1_000) { configuration.metrics.clientPorts = $0 }
            reader.int(table, "metrics.max_idle_server_ports", range: 0...65_535) { configuration.metrics.maxIdleServerPorts = $0 }
        }
        reader.section(root, "log") { reader, table in
            reader.string(table, "log.level") { value in
                guard logLevels.contains(value) else { return "must be one of \(logLevels.joined(separator: ", "))" }
                configuration.log.level = value
                return nil
            }
        }
        reader.rejectUnknown(root, prefix: nil)
        guard reader.problems.isEmpty else { throw ConfigurationError(path: path, problems: reader.problems) }
        return configuration
    }

    /// `line L, column C` of the first NUL in `text`, or nil.
    static func nulPosition(in text: String) -> String? {
        guard let nul = text.utf8.firstIndex(of: 0) else { return nil }
        let before = text.utf8[..<nul]
        let line = before.count(where: { $0 == UInt8(ascii: "\n") }) + 1
        let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
        return "line \(line), column \(column)"
    }

    /// `line L, column C` of the first `\u0000` or `\U00000000` escape in `text`, or nil (also
    /// found inside a literal string or a comment, where it is harmless text: refusing it there
    /// costs nothing real).
    static func escapedNULPosition(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0, line = 1, lineStart = 0, backslashes = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") { line += 1; lineStart = index + 1 }
            if byte == UInt8(ascii: "\\") {
                backslashes += 1
            } else {
                if backslashes % 2 == 1 {
                    let rest = bytes[index...]
                    if rest.starts(with: "u0000".utf8) || rest.starts(with: "U00000000".utf8) {
                        return "line \(line), column \(index - lineStart)"
                    }
                }
                backslashes = 0
            }
            index += 1
        }
        return nil
    }

    /// The port a `[ports.N]` key names: only the canonical spelling (`80`, never `080` or
    /// `+80`), so two keys can never name the same port.
    /// The settings of a `[ports.N]` or `[namespaces."PATTERN"]` table named `name`.
    static func portOverride(_ table: TOMLTable, name: String, reader: inout Reader) -> Configuration.PortOverride {
        var override = Configuration.PortOverride()
        reader.int(table, "\(name).time_wait_threshold", range: 1...Int(Int32.max)) { override.timeWaitThreshold = $0 }
        reader.ratio(table, "\(name).clear_ratio") { override.clearRatio = $0 }
        reader.int(table, "\(name).sustain", range: 1...1_000) { override.sustain = $0 }
        reader.bool(table, "\(name).ignore") { override.ignore = $0 }
        reader.int(table, "\(name).close_wait_threshold", range: 0...Int(Int32.max)) { override.closeWaitThreshold = $0 }
        reader.rejectUnknown(table, prefix: name)
        return override
    }

    static func canonicalPort(_ key: String) -> UInt16? {
        let digits = key.utf8
        guard (1...5).contains(digits.count), digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let port = UInt16(key)
        else { return nil }
        return port
    }

    /// Walks tables, remembering which keys were read so the rest can be reported as unknown.
    struct Reader {
        var problems: [ConfigurationProblem] = []
        private var consumed: Set<String> = []

        mutating func problem(_ key: String, _ message: String) {
            problems.append(ConfigurationProblem(key: key, message: message))
        }

        mutating func take(_ table: TOMLTable, _ key: String, prefix: String? = nil) -> TOMLValueConvertible? {
            consumed.insert((prefix.map { $0 + "." } ?? "") + key)
            return table[key]
        }

        mutating func section(_ root: TOMLTable, _ name: String, _ body: (inout Reader, TOMLTable) -> Void) {
            guard let value = take(root, name) else { return }
            guard let table = value.table else {
                problem(name, "must be a table ([\(name)])")
                return
            }
            body(&self, table)
            rejectUnknown(table, prefix: name)
        }

        mutating func rejectUnknown(_ table: TOMLTable, prefix: String?) {
            for key in table.keys.sorted() {
                let full = (prefix.map { $0 + "." } ?? "") + key
                if !consumed.contains(full) { problem(full, "unknown key") }
            }
        }

        private mutating func value(_ table: TOMLTable, _ key: String) -> TOMLValueConvertible? {
            let parts = key.split(separator: ".")
            consumed.insert(key)
            return table[String(parts.last!)]
        }

        mutating func int(_ table: TOMLTable, _ key: String, range: ClosedRange<Int>, _ apply: (Int) -> Void) {
            guard let raw = value(table, key) else { return }
            guard raw.type == .int, let number = raw.int else {
                problem(key, "must be an integer, not a \(raw.type)")
                return
            }
            guard range.contains(number) else {
                problem(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
                return
            }
            apply(number)
        }

        mutating func double(_ table: TOMLTable, _ key: String, range: ClosedRange<Double>, _ apply: (Double) -> Void) {
            guard let raw = value(table, key) else { return }
            let number: Double
            switch raw.type {
            case .double: number = raw.double!
            case .int: number = Double(raw.int!)
            default:
                problem(key, "must be a number, not a \(raw.type)")
                return
            }
            guard number.isFinite, range.contains(number) else {
                problem(key, "must be from \(format(range.lowerBound)) to \(format(range.upperBound)), got \(format(number))")
                return
            }
            apply(number)
        }

        /// A share in (0, 1].
        mutating func ratio(_ table: TOMLTable, _ key: String, _ apply: (Double) -> Void) {
            var share: Double?
            double(table, key, range: 0...1) { share = $0 }
            guard let share else { return }
            if share == 0 { problem(key, "must be greater than 0 and at most 1, got 0") } else { apply(share) }
        }

        mutating func bool(_ table: TOMLTable, _ key: String, _ apply: (Bool) -> Void) {
            guard let raw = value(table, key) else { return }
            guard raw.type == .bool, let flag = raw.bool else {
                problem(key, "must be true or false, not a \(raw.type)")
                return
            }
            apply(flag)
        }

        /// `check` applies the value and returns nil, or returns what is wrong with it.
        mutating func string(_ table: TOMLTable, _ key: String, _ check: (String) -> String?) {
            guard let raw = value(table, key) else { return }
            guard raw.type == .string, let text = raw.string else {
                problem(key, "must be a string, not a \(raw.type)")
                return
            }
            if let message = check(text) { problem(key, "\(message), got \"\(text)\"") }
        }

        private func format(_ number: Double) -> String { DecimalText.shortest(number) }
    }
}
