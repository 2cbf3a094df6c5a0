import ArgumentParser
import TWMonCore
import TWMonSystem

/// `twmonctl scan`: one scan of this host's TCP sockets, no daemon needed.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan this network namespace once and show sockets per local port.",
        discussion: """
            Ports are sorted by TIME_WAIT, then by total sockets. A port is a server port when \
            a LISTEN socket exists on it in either family; TIME_WAIT piling up there means the \
            server closes connections first.
            """
    )

    @Flag(help: "Print JSON as ListPorts replies: {\"ports\":[…],\"totals\":{…},\"malformed_rows\":N,…}; each port has \"netns\", a server port \"unit\" and \"cgroup\" when its owner is known.")
    var json = false

    @OptionGroup var selection: PortSelection

    @Option(name: .customLong("proc-root"), help: ArgumentHelp("Read DIR/net/tcp and DIR/net/tcp6.", valueName: "DIR"))
    var procRoot = "/proc"

    @Option(help: "Where to read sockets from: auto (netlink where it works, else /proc), proc or netlink.")
    var source: ScanSourceKind = .auto

    @Option(help: ArgumentHelp("Which network namespaces to scan: own (the one twmonctl runs in) or all (also every other a process lives in, through /proc/PID/net, as twmond reads them).", valueName: "own|all"))
    var namespaces: NamespaceMode = .own

    func run() throws {
        let table: PortTable
        let ownersUnavailable: String?
        do {
            // One scan: the owner walk has no next scan to go on in, so it walks to the end.
            let scanner = try Scanner.make(kind: source, procRoot: procRoot, ownerWalkBudget: CgroupOwnerResolver.maximumDirectories)
            table = try scanner.scan().table
            ownersUnavailable = scanner.ownersUnavailable
        } catch {
            throw CommandFailure.usage("scan failed: \(error)")
        }
        var tables = [PortListing.NamespaceTable(netns: .ownHost, table: table)]
        if namespaces == .all, procRoot == Scanner.realProcRoot {
            let others = OtherNamespaces(procRoot: procRoot).scan()
            tables[0].netns = others.own
            tables += others.others.map { PortListing.NamespaceTable(netns: $0.netns, table: $0.result.table) }
        }
        let listing = try selection.listing(of: tables)
        if json {
            var writer = JSONWriter()
            listing.write(into: &writer)
            FileDescriptorOutput.standardOutput.write(writer.string + "\n")
        } else {
            FileDescriptorOutput.standardOutput.writeForPeople(listing.text)
        }
        if let ownersUnavailable {
            FileDescriptorOutput.standardError.writeForPeople("twmonctl: server ports have no owner: \(ownersUnavailable)\n")
        }
        if table.malformedRows > 0 {
            FileDescriptorOutput.standardError.writeForPeople("twmonctl: \(table.malformedRows) malformed rows skipped\n")
        }
    }
}

extension ScanSourceKind: ExpressibleByArgument {}
extension NamespaceMode: ExpressibleByArgument {}
