/// Who is at the other end of a served connection, as the connection limits count it: the
/// peer's UID on the Unix control socket (`SO_PEERCRED`), the remote address on the metrics
/// endpoint's TCP socket (one host's scrapers together).
public enum ConnectionPeer: Sendable, Hashable, CustomStringConvertible {
    /// A local user, by UID.
    case uid(UInt32)
    /// A remote host, by address.
    case address(IPAddress)

    public var description: String {
        switch self {
        case .uid(let uid): "uid \(uid)"
        case .address(let address): "address \(address)"
        }
    }
}
