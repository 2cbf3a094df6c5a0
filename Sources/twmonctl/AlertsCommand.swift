import ArgumentParser
import TWMonCore
import TWMonSystem

/// `twmonctl alerts`: the running twmond's active alerts and recent alert events.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Show the running twmond's active alerts of every kind and recent raise/clear events.",
        discussion: "Asks io.twmon.Monitor.ListAlerts; --json prints its reply parameters."
    )

    @OptionGroup var connection: DaemonConnection

    @Flag(help: "Print the ListAlerts reply parameters as JSON.")
    var json = false

    func run() throws {
        try connection.show(.listAlerts, json: json) { reply in
            try reply.decode(AlertListing.self).text(now: WallClock.now())
        }
    }
}
