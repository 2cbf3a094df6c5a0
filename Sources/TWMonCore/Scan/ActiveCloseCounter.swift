/// Per server port, the active closes (connections the server closed first) since the daemon
/// started: a monotonic count fed by each scan's `ScanByproducts.newActiveCloses`, in which every new
/// TIME_WAIT socket appears exactly once. What a Prometheus counter
/// (`twmon_port_active_closes_total`) is made of.
public struct ActiveCloseCounter: Sendable, Equatable {
    /// Closes per port so far; a port keeps its count after it stops listening.
    public private(set) var totals: [UInt16: Int] = [:]

    public init() {}

    /// Adds the new closes of `scan` on its listening ports.
    public mutating func add(_ scan: ScanResult) {
        for (port, count) in scan.byproducts.newActiveCloses where count > 0 && scan.table[port: port]?.listening == true {
            let (sum, overflow) = totals[port, default: 0].addingReportingOverflow(count)
            totals[port] = overflow ? .max : sum
        }
    }
}
