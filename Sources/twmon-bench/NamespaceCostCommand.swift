import ArgumentParser
import TWMonCore
import TWMonSystem

/// `twmon-bench namespace-cost`, run by `run` inside the busy namespace: the per-interval cost
/// of `scan.namespaces = "own"` (the own namespace's scan) against `"all"` (that scan plus one
/// `OtherNamespaces.scan` of every other namespace of the host), in one process, medians.
struct NamespaceCostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace-cost",
        abstract: "CPU of the own namespace's scan against it plus a scan of every other namespace (median of --runs)."
    )

    @Option(help: "Measured rounds (after one warm-up round, whose full reads of every namespace are not counted).")
    var runs = 15

    @Option(help: "The own namespace's source: netlink (what auto takes) or proc.")
    var source = "netlink"

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if source != "netlink" && source != "proc" { throw ValidationError("--source must be netlink or proc") }
    }

    func run() throws {
        let ownScanner = Scanner(source: source == "netlink" ? try NetlinkSource() : ProcNetSource())
        let ephemeralRange = try NamespaceCountersReader(procRoot: "/proc").read().ephemeralPorts
        let others = OtherNamespaces()
        var ownSamples = Samples(), allSamples = Samples(), otherSamples = Samples()
        var passes: [OtherNamespacesScan.Figures] = []
        func ownScan() throws { _ = try ownScanner.scan(tallyingClientsIn: ephemeralRange, clientFloor: 1) }
        for round in 0...runs {
            // Alternating order, so that neither always follows the other.
            var ownCost = Cost(cpu: 0, wall: 0), allCost = Cost(cpu: 0, wall: 0), otherCost = Cost(cpu: 0, wall: 0)
            var pass = OtherNamespacesScan.Figures()
            func measureOwn() throws { ownCost = try Cost.of { try ownScan() } }
            func measureAll() throws {
                allCost = try Cost.of {
                    try ownScan()
                    otherCost = Cost.of { pass = others.scan().figures }
                }
            }
            if round % 2 == 0 { try measureOwn(); try measureAll() } else { try measureAll(); try measureOwn() }
            guard round > 0 else { continue }
            ownSamples.append(ownCost)
            allSamples.append(allCost)
            otherSamples.append(otherCost)
            passes.append(pass)
        }
        let ownCost = ownSamples.median, all = allSamples.median, other = otherSamples.median
        func median(_ figure: (OtherNamespacesScan.Figures) -> Int) -> Double { Samples.median(passes.map { Double(figure($0)) }) }
        print([
            "own_cpu \(ownCost.cpu)", "own_wall \(ownCost.wall)",
            "all_cpu \(all.cpu)", "all_wall \(all.wall)",
            "others_cpu \(other.cpu)", "others_wall \(other.wall)",
            "discovered \(median(\.discovered))", "read_in_full \(median(\.readInFull))",
            "unchanged \(median(\.unchanged))", "empty \(median(\.empty))", "unreadable \(median(\.unreadable))",
            "runs \(runs)",
        ].joined(separator: "\n"))
    }
}
