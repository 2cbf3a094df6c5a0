import TWMonCore

/// Reads `ROOT/net/tcp` and `ROOT/net/tcp6` (ROOT is normally `/proc`).
public final class ProcNetSource: SocketTableSource {
    public let name = "proc"
    /// The directory standing for /proc.
    public let procRoot: String
    /// Reads each table in 1 MiB pieces, parsed as they arrive: memory stays the same whatever
    /// the number of sockets.
    private let reader = ProcFileReader(initialCapacity: 1 << 20)

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    public func collect(into builder: inout PortTableBuilder) throws(ScanError) {
        try collect(table: "tcp", family: .ipv4, required: true, into: &builder)
        // A missing tcp6 means IPv6 is disabled: no IPv6 sockets, not an error.
        try collect(table: "tcp6", family: .ipv6, required: false, into: &builder)
    }

    private func collect(
        table: String, family: AddressFamily, required: Bool, into builder: inout PortTableBuilder
    ) throws(ScanError) {
        let path = procRoot + "/net/" + table
        let found: Bool
        do {
            var startsFile = true
            found = try reader.readLines(path: path) { lines in
                builder.addProcTable(lines, family: family, startsFile: startsFile)
                startsFile = false
            }
        } catch {
            throw .unreadable(error)
        }
        if !found && required { throw .missingTable(path: path) }
    }
}
