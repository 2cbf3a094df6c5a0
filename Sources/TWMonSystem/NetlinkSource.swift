import CTWMonNetlink
import Glibc
import TWMonCore

/// Reads the namespace's TCP sockets from the kernel's sock_diag netlink interface: one
/// `inet_diag` dump per address family, all states, no extensions.
///
/// It counts exactly what `ProcNetSource` counts: both interfaces report a request socket
/// (kernel state NEW_SYN_RECV) as SYN_RECV, and a TIME_WAIT socket with its sub-state
/// (TIME_WAIT, or FIN_WAIT2 for an orphan the kernel keeps as a time-wait socket), and IPv4
/// clients of a dual-stack listener come in the IPv6 dump as `::ffff:a.b.c.d`. The netlink
/// socket and the receive buffer are opened once and kept for the source's lifetime, so a
/// scan allocates nothing per socket.
public final class NetlinkSource: SocketTableSource {
    public let name = "netlink"

    /// The size of one `recv()`. The kernel puts at most 32 KiB of messages in each datagram of
    /// a dump (and writes the next one only after a `recv()`), so a larger buffer gains nothing.
    public static let receiveSize = 64 * 1024

    private let descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    /// The sequence number of the last dump requested; replies to older dumps are skipped.
    private var sequence: UInt32 = 0

    /// Opens the netlink socket, connected to the kernel so that nothing else can send to it.
    public init() throws(ScanError) {
        let descriptor: Int32
        do {
            descriptor = try retryingSystemCall("socket", subject: "AF_NETLINK/NETLINK_SOCK_DIAG") {
                socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_SOCK_DIAG)
            }
        } catch {
            throw .netlink(error.description)
        }
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        do {
            _ = try retryingSystemCall("connect", subject: "kernel") {
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        } catch {
            close(descriptor)
            throw .netlink(error.description)
        }
        self.descriptor = descriptor
        buffer = .allocate(byteCount: getenv("TWMON_RECV").map { Int(atoi($0)) } ?? Self.receiveSize, alignment: 16)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    public func collect(into builder: inout PortTableBuilder) throws(ScanError) {
        try dump(family: AF_INET, into: &builder)
        try dump(family: AF_INET6, into: &builder)
    }

    /// Requests a dump of every TCP socket of `family` and adds the replies to `builder`.
    private func dump(family: Int32, into builder: inout PortTableBuilder) throws(ScanError) {
        let familyName = family == AF_INET ? "IPv4" : "IPv6"
        sequence &+= 1
        var request = twmon_diag_request()
        request.header.nlmsg_len = UInt32(MemoryLayout<twmon_diag_request>.size)
        request.header.nlmsg_type = UInt16(SOCK_DIAG_BY_FAMILY)
        request.header.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_DUMP)
        request.header.nlmsg_seq = sequence
        request.body.sdiag_family = UInt8(family)
        request.body.sdiag_protocol = UInt8(IPPROTO_TCP)
        request.body.idiag_states = ~0
        do {
            _ = try retryingSystemCall("send", subject: "\(familyName) dump request") {
                withUnsafeBytes(of: &request) { send(descriptor, $0.baseAddress, $0.count, 0) }
            }
        } catch {
            throw .netlink(error.description)
        }

        var socket = twmon_diag_socket()
        while true {
            let received: Int
            do {
                received = try retryingSystemCall("recv", subject: "\(familyName) dump") {
                    recv(descriptor, buffer.baseAddress, buffer.count, 0)
                }
            } catch {
                throw .netlink(error.description)
            }
            var cursor = twmon_diag_cursor_make(buffer.baseAddress, received, sequence)
            walk: while true {
                switch twmon_diag_next(&cursor, &socket) {
                case TWMON_DIAG_SOCKET:
                    add(socket, to: &builder)
                case TWMON_DIAG_MALFORMED:
                    builder.addMalformedRows(1)
                case TWMON_DIAG_END_OF_BUFFER:
                    break walk
                case TWMON_DIAG_DONE:
                    return
                case TWMON_DIAG_FAILED:
                    throw .netlink("\(familyName) dump: \(String(cString: strerror(cursor.error)))")
                default:
                    throw .netlink("\(familyName) dump: truncated message")
                }
            }
        }
    }

    /// Counts one socket of a dump; an unknown state is a malformed row, as in /proc.
    @inline(__always)
    private func add(_ socket: twmon_diag_socket, to builder: inout PortTableBuilder) {
        guard let state = TCPState(rawValue: socket.state) else {
            builder.addMalformedRows(1)
            return
        }
        let family: AddressFamily = Int32(socket.family) == AF_INET ? .ipv4 : .ipv6
        let local = IPAddress(family: family, bytes: unsafeBitCast(socket.local_address, to: SIMD16<UInt8>.self))
        let remote = IPAddress(family: family, bytes: unsafeBitCast(socket.remote_address, to: SIMD16<UInt8>.self))
        builder.add(TCPSocketRecord(
            local: SocketEndpoint(address: local, port: socket.local_port),
            remote: SocketEndpoint(address: remote, port: socket.remote_port),
            state: state
        ))
    }
}
