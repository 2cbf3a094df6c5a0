/// Prints a configuration as the TOML that would produce it (`twmond --check-config`).
public enum ConfigurationRenderer {
    public static func toml(_ configuration: Configuration) -> String {
        var lines = [
            "[scan]",
            "interval = \(number(configuration.scan.interval))",
            "source = \(quoted(configuration.scan.source.rawValue))",
            "proc_root = \(quoted(configuration.scan.procRoot))",
            "namespaces = \(quoted(configuration.scan.namespaces.rawValue))",
            "",
            "[alert]",
            "time_wait_threshold = \(configuration.alert.timeWaitThreshold)",
            "clear_ratio = \(number(configuration.alert.clearRatio))",
            "sustain = \(configuration.alert.sustain)",
            "repeat = \(number(configuration.alert.repeatInterval))",
            "top_peers = \(configuration.alert.topPeers)",
            "tw_buckets_ratio = \(number(configuration.alert.twBucketsRatio))",
            "",
            "[close_wait]",
            "threshold = \(configuration.closeWait.threshold)",
            "min_age = \(number(configuration.closeWait.minAge))",
            "",
            "[ephemeral_ports]",
            "ratio = \(number(configuration.ephemeralPorts.ratio))",
            "",
            "[tw_overflow]",
            "enabled = \(configuration.twOverflow.enabled)",
            "",
            "[events]",
            "source = \(quoted(configuration.events.source.rawValue))",
        ]
        let overrides = configuration.ports.keys.sorted().map { ("[ports.\($0)]", configuration.ports[$0]!) }
            + configuration.namespaces.map { ("[namespaces.\(quoted($0.pattern))]", $0.settings) }
        for (header, override) in overrides {
            lines += ["", header]
            if let threshold = override.timeWaitThreshold { lines.append("time_wait_threshold = \(threshold)") }
            if let ratio = override.clearRatio { lines.append("clear_ratio = \(number(ratio))") }
            if let sustain = override.sustain { lines.append("sustain = \(sustain)") }
            if let threshold = override.closeWaitThreshold { lines.append("close_wait_threshold = \(threshold)") }
            if override.ignore { lines.append("ignore = true") }
        }
        lines += [
            "",
            "[control]",
            "socket = \(quoted(configuration.control.socket))",
            "",
            "[metrics]",
            "textfile = \(quoted(configuration.metrics.textfile))",
            "listen = \(quoted(configuration.metrics.listen))",
            "client_ports = \(configuration.metrics.clientPorts)",
            "max_idle_server_ports = \(configuration.metrics.maxIdleServerPorts)",
            "",
            "[log]",
            "level = \(quoted(configuration.log.level))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func number(_ value: Double) -> String {
        DecimalText.shortest(value, whole: .pointZero)
    }

    /// `text` as a TOML basic string. Written here rather than by TOMLKit: its writer (toml++)
    /// orders keys alphabetically and chooses its own float and string spellings, and the
    /// layout above is what `--check-config` has always printed (a test compares it exactly).
    /// TOML forbids every control character but tab in a basic string, DEL (U+007F) included,
    /// which JSON allows: each is written as `\uXXXX`.
    static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): bytes += Array("\\n".utf8)
            case UInt8(ascii: "\r"): bytes += Array("\\r".utf8)
            case UInt8(ascii: "\t"): bytes += Array("\\t".utf8)
            case 0..<0x20, 0x7F: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }
}
