import Logging
import TWMonCore
import TWMonSystem

/// A reload (SIGHUP): reads the configuration again and decides what changes. The scanner is
/// replaced only by one that has just scanned successfully, so a reload never turns a working
/// daemon into one that fails every scan; settings that take effect only at a restart
/// (`control.socket`, `metrics.listen`) are logged as such. A refused reload is journalled
/// (PRIORITY=3) and the running configuration stays.
struct ConfigurationReload: Sendable {
    /// What a reload applies.
    struct Change {
        var configuration: Configuration
        /// The new scanner, when `scan.source` or `scan.proc_root` changed or is `auto`.
        var scanner: Scanner?
    }

    let source: ConfigurationSource
    let makeScanner: MonitorEngine.ScannerFactory
    let journal: any JournalSink

    /// The configuration of `source` and what it changes against `running`. Throws (after
    /// journalling it) when the file is invalid or the new source cannot scan.
    func load(replacing running: Configuration, logger: Logger) throws(ConfigurationError) -> Change {
        do {
            return try change(replacing: running, logger: logger)
        } catch {
            journal.send(AlertJournal.reloadFailed(path: source.path, error: "\(error)"))
            throw error
        }
    }

    private func change(replacing running: Configuration, logger: Logger) throws(ConfigurationError) -> Change {
        let updated = try source.load()
        var change = Change(configuration: updated)
        // `auto` is decided again at every reload: netlink may have become usable, or not.
        if updated.scan.source != running.scan.source || updated.scan.procRoot != running.scan.procRoot || updated.scan.source == .auto {
            let candidate: Scanner
            do {
                candidate = try makeScanner(updated.scan.source, updated.scan.procRoot)
                _ = try candidate.scan()
            } catch {
                let key = updated.scan.source != running.scan.source ? "scan.source" : "scan.proc_root"
                throw ConfigurationError(path: source.path, problems: [ConfigurationProblem(key: key, message: "cannot scan: \(error)")])
            }
            change.scanner = candidate
        }
        if updated.control.socket != running.control.socket {
            logger.warning("control.socket changed; it takes effect at the next restart", metadata: ["socket": "\(updated.control.socket)"])
        }
        if updated.metrics.listen != running.metrics.listen {
            logger.warning("metrics.listen changed; it takes effect at the next restart", metadata: ["listen": "\(updated.metrics.listen)"])
        }
        return change
    }
}
