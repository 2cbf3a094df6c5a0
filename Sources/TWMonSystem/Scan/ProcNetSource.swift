import TWMonCore

/// Reads `ROOT/net/tcp` and `ROOT/net/tcp6` (ROOT is normally `/proc`).
public final class ProcNetSource: SocketTableSource {
    public let name = "proc"
    /// The directory standing for /proc; `/proc/PID` reads the network namespace of PID (which
    /// `OtherNamespaces` changes when that process is gone, keeping the buffer).
    public var procRoot: String
    /// Reads each table in pieces of `bufferCapacity` (1 MiB by default), parsed as they arrive:
    /// memory stays the same whatever the number of sockets.
    private let reader: ProcFileReader

    public init(procRoot: String = "/proc", bufferCapacity: Int = 1 << 20) {
        self.procRoot = procRoot
        reader = ProcFileReader(initialCapacity: bufferCapacity)
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
