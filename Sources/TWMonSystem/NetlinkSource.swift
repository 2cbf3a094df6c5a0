import CTWMonNetlink
import Glibc
import TWMonCore

/// Reads the namespace's TCP sockets from the kernel's sock_diag netlink interface: one
/// `inet_diag` dump of both address families, all states, no extensions.
///
/// The dump is requested with the original `TCPDIAG_GETSOCK` message, which the kernel answers
/// from a single walk of its socket hash table; `SOCK_DIAG_BY_FAMILY` needs one dump per family,
/// each walking the whole table, and costs about twice the kernel CPU for the same sockets.
///
/// It counts exactly what `ProcNetSource` counts: both interfaces report a request socket
/// (kernel state NEW_SYN_RECV) as SYN_RECV, and a time-wait socket with its sub-state
/// (TIME_WAIT, or FIN_WAIT2 for an orphaned connection the kernel keeps as a time-wait socket),
/// and IPv4 clients of a dual-stack listener come as IPv6 sockets with `::ffff:a.b.c.d`
/// addresses. The netlink socket and the receive buffer are opened once and kept for the
/// source's lifetime, so a scan allocates nothing per socket.
public final class NetlinkSource: SocketTableSource {
    public let name = "netlink"

    /// The size of one `recv()`. The kernel puts at most 32 KiB of messages in each datagram of
    /// a dump and makes the next one only when the last is received, so a larger buffer gains
    /// nothing (16 KiB to 256 KiB measured the same at 120 000 sockets).
    private static let receiveSize = 64 * 1024

    private let descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    /// The sequence number of the last dump requested; replies to older dumps are skipped.
    private var sequence: UInt32 = 0

    /// Opens the netlink socket, connected to the kernel so that nothing else can send to it.
    public init() throws(ScanError) {
        do {
            descriptor = try retryingSystemCall("socket", subject: "NETLINK_SOCK_DIAG") { twmon_diag_open() }
        } catch {
            throw .netlink(error.description)
        }
        buffer = .allocate(byteCount: Self.receiveSize, alignment: 16)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    public func collect(into builder: inout PortTableBuilder) throws(ScanError) {
        sequence &+= 1
        var request = twmon_diag_request_make(sequence)
        do {
            _ = try retryingSystemCall("send", subject: "dump request") {
                withUnsafeBytes(of: &request) { send(descriptor, $0.baseAddress, $0.count, 0) }
            }
        } catch {
            throw .netlink(error.description)
        }

        var entry = twmon_diag_socket()
        while true {
            let received: Int
            do {
                received = try retryingSystemCall("recv", subject: "dump") {
                    recv(descriptor, buffer.baseAddress, buffer.count, 0)
                }
            } catch {
                throw .netlink(error.description)
            }
            var cursor = twmon_diag_cursor_make(buffer.baseAddress, received, sequence)
            walk: while true {
                switch twmon_diag_next(&cursor, &entry) {
                case TWMON_DIAG_SOCKET:
                    add(entry, to: &builder)
                case TWMON_DIAG_MALFORMED:
                    builder.addMalformedRows(1)
                case TWMON_DIAG_END_OF_BUFFER:
                    break walk
                case TWMON_DIAG_DONE:
                    return
                case TWMON_DIAG_FAILED:
                    throw .netlink("dump: \(String(cString: strerror(cursor.error)))")
                default:
                    throw .netlink("dump: truncated message")
                }
            }
        }
    }

    /// Counts one socket of a dump; an unknown state is a malformed row, as in /proc.
    @inline(__always)
    private func add(_ entry: twmon_diag_socket, to builder: inout PortTableBuilder) {
        guard let state = TCPState(rawValue: entry.state) else {
            builder.addMalformedRows(1)
            return
        }
        let family: AddressFamily = Int32(entry.family) == AF_INET ? .ipv4 : .ipv6
        let local = IPAddress(family: family, bytes: unsafeBitCast(entry.local_address, to: SIMD16<UInt8>.self))
        let remote = IPAddress(family: family, bytes: unsafeBitCast(entry.remote_address, to: SIMD16<UInt8>.self))
        builder.add(TCPSocketRecord(
            local: SocketEndpoint(address: local, port: entry.local_port),
            remote: SocketEndpoint(address: remote, port: entry.remote_port),
            state: state
        ))
    }
}
