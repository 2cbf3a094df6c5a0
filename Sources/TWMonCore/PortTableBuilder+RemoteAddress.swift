extension PortTableBuilder {
    /// Counts one socket of a source that finds its remote address in place (netlink):
    /// `remoteAddress` is called only when the socket's peer is tallied, that is when it is in
    /// TIME_WAIT on a watched port, so other sockets cost no address decoding.
    @inlinable
    public mutating func add(localPort: UInt16, state: TCPState, family: AddressFamily, remoteAddress: () -> IPAddress) {
        add(localPort: localPort, state: state, family: family)
        if talliesPeer(of: localPort, state: state) {
            peers.add(port: localPort, address: remoteAddress())
        }
    }
}
