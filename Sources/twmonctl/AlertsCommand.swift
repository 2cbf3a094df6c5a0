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
        try connection.show("io.twmon.Monitor.ListAlerts", json: json) { reply throws(JSONFieldError) in
            try AlertListing(json: reply).text(now: WallClock.now())
        }
    }
}
