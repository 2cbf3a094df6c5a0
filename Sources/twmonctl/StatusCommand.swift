import ArgumentParser
import TWMonCore
import TWMonSystem

/// `twmonctl status`: what the running twmond saw at its latest scan.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running twmond's latest scan: sockets, server ports, active alerts.",
        discussion: "Asks io.twmon.Monitor.GetStatus on the control socket; --json prints its reply parameters."
    )

    @OptionGroup var connection: DaemonConnection

    @Flag(help: "Print the GetStatus reply parameters as JSON.")
    var json = false

    func run() throws {
        try connection.show(.getStatus, json: json) { reply in
            try reply.decode(MonitorStatus.self).text(now: WallClock.now())
        }
    }
}
