import ArgumentParser
import Glibc
import TWMonCore
import TWMonSystem

/// `twmonctl`: the operator's client for twmon.
@main
struct TWMonCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twmonctl",
        abstract: "Inspect TCP TIME_WAIT per port, and query a running twmond.",
        version: TWMonVersion.current,
        subcommands: [ScanCommand.self, StatusCommand.self, PortsCommand.self, AlertsCommand.self, CheckCommand.self]
    )

    /// Exit codes: 0 success, 1 failure at run time (e.g. twmond not running), 2 unusable
    /// arguments or inputs; `check` uses the plugin codes 0–3 and reports bad arguments as
    /// UNKNOWN (3), as monitoring systems expect.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            FileDescriptorOutput.standardError.writeForPeople("twmonctl: \(failure.message)\n")
            Glibc.exit(failure.exitCode)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                exit(withError: error)
            }
            if CommandLine.arguments.dropFirst().first == CheckCommand.configuration.commandName {
                FileDescriptorOutput.standardOutput.writeForPeople(MonitoringCheck.unknown(message(for: error)) + "\n")
                Glibc.exit(MonitoringCheck.State.unknown.rawValue)
            }
            FileDescriptorOutput.standardError.writeForPeople(fullMessage(for: error) + "\n")
            Glibc.exit(CommandFailure.usageExitCode)
        }
    }
}

/// A failure that ends `twmonctl` with a message and a specific exit code.
struct CommandFailure: Error {
    /// Unusable arguments or inputs (a bad flag, an unreadable proc root).
    static let usageExitCode: Int32 = 2
    /// A failure at run time (twmond not running, an error reply).
    static let runtimeExitCode: Int32 = 1

    var message: String
    var exitCode: Int32

    static func usage(_ message: String) -> CommandFailure {
        CommandFailure(message: message, exitCode: usageExitCode)
    }
}
