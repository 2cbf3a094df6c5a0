import TWMonCore

/// Reads `ROOT/net/tcp` and `ROOT/net/tcp6` (ROOT is normally `/proc`).
public final class ProcNetSource: SocketTableSource {
    public let name = "proc"
    /// The directory standing for /proc.
    public let procRoot: String
    private let reader = ProcFileReader()

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
            found = try reader.read(path: path)
        } catch {
            throw .unreadable(error)
        }
        guard found else {
            if required { throw .missingTable(path: path) }
            return
        }
        reader.withBytes { builder.addProcTable($0, family: family) }
    }
}
