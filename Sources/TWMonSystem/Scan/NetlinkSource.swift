import CTWMonNetlink
import Glibc
import TWMonCore

/// Reads the namespace's TCP sockets from the kernel's sock_diag netlink interface: one
/// `inet_diag` dump of both address families, every TCP state, no extensions.
///
/// The dump is requested with the original `TCPDIAG_GETSOCK` message, which the kernel answers
/// from a single walk of its socket hash table; `SOCK_DIAG_BY_FAMILY` needs one dump per family,
/// each walking the whole table, and costs about twice the kernel CPU for the same sockets. The
/// state mask names the twelve TCP states, not all bits: the bit of TCP_BOUND_INACTIVE would make
/// the kernel walk its bind hash table too (`TWMON_DIAG_TCP_STATES`). The socket is made without
/// CAP_NET_ADMIN even when the daemon holds it, so the kernel adds no attribute to the messages
/// (`twmon_diag_open`): each time-wait socket is 88 bytes, not 96.
///
/// It counts exactly what `ProcNetSource` counts: both interfaces report a request socket
/// (kernel state NEW_SYN_RECV) as SYN_RECV, and a time-wait socket with its sub-state
/// (TIME_WAIT, or FIN_WAIT2 for an orphaned connection the kernel keeps as a time-wait socket),
/// and IPv4 clients of a dual-stack listener come as IPv6 sockets with `::ffff:a.b.c.d`
/// addresses. The netlink socket and the buffers are made once and kept for the source's
/// lifetime. A scan does no work per socket beyond counting it: the C walker reads each
/// message's port, family and state in place, a whole datagram per call, and a remote address is
/// decoded only for a socket whose peer is tallied (TIME_WAIT on a port near an alert).
public final class NetlinkSource: SocketTableSource {
    public let name = "netlink"

    /// The size of one `recv()`. The kernel puts at most 32 KiB of messages in each datagram of
    /// a dump (less when the reader's buffer is smaller) and makes the next one only when the
    /// last is received, whatever SO_RCVBUF says. At 120 000 sockets 32 KiB and 64 KiB cost the
    /// same, 16 KiB ≈ 3 % and 8 KiB (collectd's) 3–8 % more kernel time; 64 KiB leaves room should a
    /// kernel send more. A larger datagram is an error (`MSG_TRUNC`), never a silently cut one.
    private static let receiveSize = 64 * 1024
    /// Sockets the walker hands over per call: more than a 32 KiB datagram holds (≈ 370).
    private static let socketsPerWalk = 512

    private let descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private let sockets: UnsafeMutableBufferPointer<twmon_diag_socket>
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
        sockets = .allocate(capacity: Self.socketsPerWalk)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
        sockets.deallocate()
    }

    public func collect(into builder: inout PortTableBuilder) throws(ScanError) {
        var malformed = 0
        try dump(states: TWMON_DIAG_TCP_STATES, malformed: &malformed) { socket in add(socket, to: &builder) }
        builder.addMalformedRows(malformed)
    }

    /// Its dump carries the cgroup ids of LISTEN sockets.
    public var suppliesListenerCgroups: Bool { true }

    /// A dump of the LISTEN sockets only (the kernel walks just its listening hash table), for
    /// their cgroup ids: what a /proc scan lacks. Counts nothing.
    public func collectListenerCgroups(into builder: inout PortTableBuilder) throws(ScanError) {
        var malformed = 0
        try dump(states: TWMON_DIAG_LISTEN_STATES, malformed: &malformed) { socket in
            if socket.state == TCPState.listen.rawValue {
                builder.addListenerCgroup(localPort: socket.local_port, cgroupID: socket.cgroup_id)
            }
        }
    }

    /// Requests a dump of the sockets in `states` and hands each one to `handle`.
    @inline(__always)
    private func dump(
        states: UInt32, malformed: inout Int, _ handle: (twmon_diag_socket) -> Void
    ) throws(ScanError) {
        sequence &+= 1
        var request = twmon_diag_request_make_states(sequence, states)
        do {
            _ = try retryingSystemCall("send", subject: "dump request") {
                withUnsafeBytes(of: &request) { send(descriptor, $0.baseAddress, $0.count, 0) }
            }
        } catch {
            throw .netlink(error.description)
        }

        while true {
            let received: Int
            do {
                // MSG_TRUNC: the datagram's real length, also when it did not fit.
                received = try retryingSystemCall("recv", subject: "dump") {
                    recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC))
                }
            } catch {
                throw .netlink(error.description)
            }
            guard received <= buffer.count else {
                throw .netlink("dump: a \(received)-byte datagram does not fit the \(buffer.count)-byte buffer")
            }
            var cursor = twmon_diag_cursor_make(buffer.baseAddress, received, sequence)
            walk: while true {
                var count = 0
                let event = twmon_diag_walk(&cursor, sockets.baseAddress, sockets.count, &count)
                for index in 0..<count { handle(sockets[index]) }
                switch event {
                case TWMON_DIAG_FULL:
                    continue walk
                case TWMON_DIAG_END_OF_BUFFER:
                    malformed += cursor.malformed
                    break walk
                case TWMON_DIAG_DONE:
                    malformed += cursor.malformed
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
    private func add(_ socket: twmon_diag_socket, to builder: inout PortTableBuilder) {
        guard let state = TCPState(rawValue: socket.state) else {
            builder.addMalformedRows(1)
            return
        }
        let family: AddressFamily = Int32(socket.family) == AF_INET ? .ipv4 : .ipv6
        if state == .timeWait {
            // The socket and its timer in one visit to the port's accumulator.
            let left = TimeWaitTimer.millisecondsLeft(diagExpires: socket.expires_ms) ?? -1
            builder.addTimeWait(localPort: socket.local_port, family: family, millisecondsLeft: left) {
                Self.address(at: socket.remote_address, family: family)
            }
        } else {
            builder.add(localPort: socket.local_port, state: state, family: family) {
                Self.address(at: socket.remote_address, family: family)
            }
            if state == .listen {
                builder.addListenerCgroup(localPort: socket.local_port, cgroupID: socket.cgroup_id)
            }
        }
        builder.addDetails(localPort: socket.local_port, state: state, inode: { UInt64(socket.inode) }) {
            (Self.address(at: socket.local_address, family: family), Self.address(at: socket.remote_address, family: family), socket.remote_port)
        }
    }

    /// The address the walker points at: 4 bytes for IPv4, 16 for IPv6, in network order.
    private static func address(at bytes: UnsafePointer<UInt8>, family: AddressFamily) -> IPAddress {
        let raw = UnsafeRawPointer(bytes)
        switch family {
        case .ipv4:
            var words = SIMD4<UInt32>.zero
            words[0] = raw.loadUnaligned(as: UInt32.self)
            return IPAddress(family: .ipv4, bytes: unsafeBitCast(words, to: SIMD16<UInt8>.self))
        case .ipv6:
            return IPAddress(family: .ipv6, bytes: raw.loadUnaligned(as: SIMD16<UInt8>.self))
        }
    }
}
