import ArgumentParser
import TWMonCore

/// The options that pick ports from a table, shared by `scan` and `ports`.
struct PortSelection: ParsableArguments {
    @Flag(help: "Only server ports (a LISTEN socket exists on them).")
    var listening = false

    @Option(help: ArgumentHelp("Only ports with at least one socket in this state (e.g. TIME_WAIT; any case, - for _).", valueName: "NAME"))
    var state: String?

    @Option(help: ArgumentHelp("Show at most this many ports.", valueName: "N"))
    var limit: Int?

    @Option(help: ArgumentHelp("Only ports of the network namespace of this name (host, docker-<id>, pod-<uid>, a unit, …).", valueName: "NAME"))
    var netns: String?

    func validate() throws {
        if let state, TCPState(typedName: state) == nil {
            let names = TCPState.allCases.map(\.name).joined(separator: ", ")
            throw ValidationError("unknown state '\(state)'; expected one of \(names)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// The state asked for, validated.
    var tcpState: TCPState? { state.flatMap(TCPState.init(typedName:)) }

    /// The ports of `namespaces` asked for (the scan's own; the daemon's reply is made the
    /// same way by `ListPorts`).
    func listing(of namespaces: [PortListing.NamespaceTable]) throws(CommandFailure) -> PortListing {
        do {
            return try PortListing(namespaces: namespaces, netns: netns, listeningOnly: listening, state: tcpState, limit: limit)
        } catch {
            throw CommandFailure(message: "no network namespace named '\(TerminalText.name(error.netns))'", exitCode: CommandFailure.runtimeExitCode)
        }
    }
}
