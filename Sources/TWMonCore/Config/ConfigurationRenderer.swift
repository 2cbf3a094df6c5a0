/// Prints a configuration as the TOML that would produce it (`twmond --check-config`).
public enum ConfigurationRenderer {
    public static func toml(_ configuration: Configuration) -> String {
        var lines = [
            "[scan]",
            "interval = \(number(configuration.scan.interval))",
            "source = \(quoted(configuration.scan.source.rawValue))",
            "proc_root = \(quoted(configuration.scan.procRoot))",
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
        ]
        for port in configuration.ports.keys.sorted() {
            let override = configuration.ports[port]!
            lines += ["", "[ports.\(port)]"]
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
        value == value.rounded() && abs(value) < 1e15 ? String(format1: value) : String(value)
    }

    private static func quoted(_ text: String) -> String {
        var json = JSONWriter()
        json.value(text)
        return json.string
    }
}

extension String {
    /// `5.0` for a whole number, as TOML writes floats.
    fileprivate init(format1 value: Double) {
        self = String(Int(value)) + ".0"
    }
}
