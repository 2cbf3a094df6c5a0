/// The address family of a socket table: `/proc/net/tcp` holds IPv4 sockets, `/proc/net/tcp6`
/// IPv6 ones (IPv4 clients of a dual-stack listener appear there as `::ffff:a.b.c.d`).
public enum AddressFamily: Sendable, Hashable, CaseIterable {
    case ipv4
    case ipv6

    /// Hex digits of an address in the /proc table of this family.
    @inlinable
    var addressHexDigits: Int {
        switch self {
        case .ipv4: 8
        case .ipv6: 32
        }
    }
}
