import ArgumentParser
import Glibc
import TWMonCore
import TWMonSystem

/// `twmon-bench parse FILE`: the user-space part of a /proc scan alone, on a captured table
/// (no kernel, no namespace): parse + aggregate of the same bytes, repeated. Stable enough for
/// `perf stat` or `valgrind --tool=callgrind` when tuning the parser.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Time parse + aggregate of a captured /proc/net/tcp or tcp6 file."
    )

    @Argument(help: "A captured /proc/net/tcp (or tcp6 with --ipv6).")
    var file: String

    @Flag(help: "The file is a tcp6 table.")
    var ipv6 = false

    @Option(help: "Repetitions.")
    var runs = 15

    @Option(name: .customLong("watch-peers"), help: ArgumentHelp("Also tally TIME_WAIT peers of this port.", valueName: "PORT"))
    var watchPeers: UInt16?

    @Option(
        name: .customLong("ephemeral-range"),
        help: ArgumentHelp("Tally client sockets per destination in this local port range, every destination reported, as twmond does (`none`: off).", valueName: "LOW-HIGH"))
    var ephemeralRange = "32768-60999"

    /// The range of `--ephemeral-range`, nil for `none`.
    private func range() throws -> EphemeralPortRange? {
        guard ephemeralRange != "none" else { return nil }
        let bounds = ephemeralRange.split(separator: "-").compactMap { UInt16($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { throw ValidationError("--ephemeral-range must be LOW-HIGH or none") }
        return EphemeralPortRange(low: bounds[0], high: bounds[1])
    }

    func run() throws {
        let reader = ProcFileReader()
        guard try reader.read(path: file, limit: .max) else { throw ValidationError("\(file) does not exist") }
        var builder = PortTableBuilder()
        let clients = try range()
        var samples = Samples()
        var scan = ScanResult(table: PortTable())
        for _ in 0..<max(runs, 1) {
            samples.append(Cost.of {
                builder.reset(watchingPeersOf: watchPeers.map { [$0] } ?? [])
                builder.tallyClients(in: clients, floor: 1)
                reader.withBytes { builder.addProcTable($0, family: ipv6 ? .ipv6 : .ipv4) }
                scan = builder.result()
            })
        }
        let table = scan.table
        let median = samples.median
        let rows = table.totals.total + table.malformedRows
        print("""
            \(reader.count) bytes, \(table.totals.total) sockets, \(table.malformedRows) malformed, \(table.ports.count) ports, \
            peers \(scan.byproducts.topPeers.values.map(\.count).reduce(0, +)), \(scan.byproducts.clientTuples.count) client destinations, \
            \(scan.byproducts.closeWaitSockets.count) CLOSE_WAIT
            parse+aggregate: median cpu \(format(median.cpu * 1e3)) ms, wall \(format(median.wall * 1e3)) ms, \
            \(format(median.cpu * 1e9 / Double(max(rows, 1)))) ns/row
            """)
    }
}

/// `value` with `decimals` places (`12.30`), `-` when it is not a number.
func format(_ value: Double, decimals: Int = 2) -> String {
    DecimalText.fixed(value, decimals: decimals) ?? "-"
}
