/// What one alert is about: the namespace, a local port, or a client's destination.
public enum AlertSubject: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The whole network namespace (`tw_buckets`, `tw_overflow`).
    case namespace
    /// One local port (`time_wait`, `close_wait`).
    case port(UInt16)
    /// One (local address, remote address, remote port) of client sockets (`ephemeral_ports`).
    case clientTuple(ClientTuple)

    /// `namespace`, `:8080`, `127.0.0.1 → 10.0.0.5:443`.
    public var description: String {
        switch self {
        case .namespace: "namespace"
        case .port(let port): ":\(port)"
        case .clientTuple(let tuple): tuple.description
        }
    }

    /// The port, for a port subject.
    public var port: UInt16? {
        if case .port(let port) = self { return port }
        return nil
    }

    /// Which of the three a kind's alerts are about.
    public enum Shape: Sendable {
        case namespace, port, clientTuple
    }

    /// Writes the subject's members of a Varlink `Alert` or `AlertEvent`: `"port":N`, or
    /// `"local_address"`, `"remote_address"`, `"remote_port"`; nothing for the namespace.
    public func write(into json: inout JSONWriter) {
        switch self {
        case .namespace: break
        case .port(let port): json.member("port", Int(port))
        case .clientTuple(let tuple):
            json.member("local_address", tuple.localAddress.description)
            json.member("remote_address", tuple.remoteAddress.description)
            json.member("remote_port", Int(tuple.remotePort))
        }
    }

    private var order: (Int, UInt16, ClientTuple?) {
        switch self {
        case .namespace: (0, 0, nil)
        case .port(let port): (1, port, nil)
        case .clientTuple(let tuple): (2, 0, tuple)
        }
    }

    public static func < (lhs: AlertSubject, rhs: AlertSubject) -> Bool {
        let (left, right) = (lhs.order, rhs.order)
        if left.0 != right.0 { return left.0 < right.0 }
        if left.1 != right.1 { return left.1 < right.1 }
        guard let leftTuple = left.2, let rightTuple = right.2 else { return false }
        return leftTuple < rightTuple
    }
}

/// The part of a client connection's 4-tuple that its local port must be unique within:
/// connections from one local address to one remote address and port share the ephemeral range.
public struct ClientTuple: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var localAddress: IPAddress
    public var remoteAddress: IPAddress
    public var remotePort: UInt16

    public init(localAddress: IPAddress, remoteAddress: IPAddress, remotePort: UInt16) {
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    /// `127.0.0.1 → 127.0.0.1:8080`, `[::1] → [::1]:443`.
    public var description: String {
        "\(localAddress) → \(SocketEndpoint(address: remoteAddress, port: remotePort))"
    }

    public static func < (lhs: ClientTuple, rhs: ClientTuple) -> Bool {
        if lhs.localAddress != rhs.localAddress { return lhs.localAddress < rhs.localAddress }
        if lhs.remoteAddress != rhs.remoteAddress { return lhs.remoteAddress < rhs.remoteAddress }
        return lhs.remotePort < rhs.remotePort
    }
}
