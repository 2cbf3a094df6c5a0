import ArgumentParser
import TWMonCore
import TWMonSystem

/// `twmonctl check`: a Nagios/Icinga plugin on top of the running twmond.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Nagios/Icinga plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, with perfdata.",
        discussion: """
            By default the daemon's own alerts decide: WARNING while any alert is active; \
            CRITICAL for tw_overflow (the kernel destroyed TIME_WAIT sockets), tw_buckets (the \
            namespace's TIME_WAIT total near net.ipv4.tcp_max_tw_buckets), ephemeral_ports at \
            95 % or more of the usable range, and a time_wait alert at \
            \(MonitoringCheck.criticalFactor)× its threshold or more. With --warning/--critical, \
            the busiest server port's TIME_WAIT count is compared with them instead of the \
            time_wait alerts (critical defaults to \(MonitoringCheck.criticalFactor)× warning); \
            the other kinds count as before. \
            UNKNOWN when twmond cannot be reached, has not scanned yet, cannot scan (its last \
            successful scan is older than three scan intervals), or the arguments are wrong.
            """
    )

    @OptionGroup var connection: DaemonConnection

    @Option(help: ArgumentHelp("WARNING when a server port has at least this many TIME_WAIT sockets.", valueName: "N"))
    var warning: Int?

    @Option(help: ArgumentHelp("CRITICAL when a server port has at least this many TIME_WAIT sockets.", valueName: "N"))
    var critical: Int?

    /// The counts a level may be: a port's TIME_WAIT count is a kernel `int`.
    static let levels = KernelCount.range.upperBound

    func validate() throws {
        for (name, level) in [("--warning", warning), ("--critical", critical)] {
            if let level, !(1...Self.levels).contains(level) {
                throw ValidationError("\(name) must be from 1 to \(Self.levels), got \(level)")
            }
        }
        if let warning, let critical, critical < warning { throw ValidationError("--critical must not be below --warning") }
    }

    func run() throws {
        let state: MonitoringCheck.State
        let output: String
        do {
            // One connection for both calls: one wait in the accept queue, however busy.
            let client = try connection.connect()
            let status = try connection.call(.getStatus, on: client).decode(MonitorStatus.self)
            let busiest = try connection.call(
                .listPorts, parameters: [("listeningOnly", .bool(true)), ("limit", .integer(1))], on: client
            ).decode(PortListing.self).ports.first?.stats
            (state, output) = MonitoringCheck(warning: warning, critical: critical).evaluate(status, busiestServerPort: busiest)
        } catch let error as DaemonCallError {
            (state, output) = (.unknown, MonitoringCheck.unknown(error.description))
        } catch {
            (state, output) = (.unknown, MonitoringCheck.unknown("unexpected reply from twmond: \(error)"))
        }
        FileDescriptorOutput.standardOutput.writeForPeople(output + "\n")
        if state != .ok { throw ExitCode(state.rawValue) }
    }
}
