import ArgumentParser

/// `twmon-bench`: what a twmon scan costs next to the kernel's own cost of printing the socket
/// table. `make bench` runs `twmon-bench run` as root.
@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twmon-bench",
        abstract: "Benchmark twmon's scans against the /proc floor in private network namespaces.",
        subcommands: [RunCommand.self, MeasureCommand.self, ParseCommand.self, NamespacesCommand.self, NamespaceCostCommand.self, EventsCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
