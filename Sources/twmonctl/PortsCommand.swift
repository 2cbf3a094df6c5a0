import ArgumentParser
import TWMonCore

/// `twmonctl ports`: the running twmond's per-port table, as `twmonctl scan` shows a scan.
struct PortsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ports",
        abstract: "Show sockets per local port from the running twmond's latest scan.",
        discussion: """
            Same table as 'twmonctl scan', without reading /proc: asks io.twmon.Monitor.ListPorts. \
            Ports of every network namespace twmond watches are sorted together by TIME_WAIT, \
            then by total sockets; a NAMESPACE column names each one's namespace when more than \
            one is listed, and --netns NAME keeps one.
            """
    )

    @OptionGroup var connection: DaemonConnection

    @Flag(help: "Print the ListPorts reply parameters as JSON.")
    var json = false

    @OptionGroup var selection: PortSelection

    func run() throws {
        var parameters: [(key: String, value: JSONValue)] = []
        if selection.listening { parameters.append(("listeningOnly", .bool(true))) }
        if let state = selection.tcpState { parameters.append(("state", .string(state.name))) }
        if let limit = selection.limit { parameters.append(("limit", .integer(limit))) }
        if let netns = selection.netns { parameters.append(("netns", .string(netns))) }
        try connection.show(.listPorts, parameters: parameters, json: json) { reply in
            try reply.decode(PortListing.self).text
        }
    }
}
