import CTWMonNetlink
import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem

/// The netlink source against the /proc source on real sockets of the test's own namespace
/// (no root needed: sock_diag dumps TCP sockets for anyone).
@Suite("NetlinkSource")
struct NetlinkSourceTests {
    @Test("a listener, a connection and a TIME_WAIT count the same through netlink and /proc")
    func agreesWithProc() throws {
        let listener = try LoopbackTCP.listener()
        defer { listener.close() }
        let port = try listener.localPort()
        let client = try LoopbackTCP.connected(to: port)
        defer { client.close() }
        let server = try listener.accept()
        defer { server.close() }
        // A connection the server closes first leaves a TIME_WAIT on the listener's port.
        let closing = try LoopbackTCP.connected(to: port)
        try listener.accept().close()
        closing.awaitEndOfStream()
        closing.close()
        let clientPort = try client.localPort()

        let proc = try TWMonSystem.Scanner.make(kind: .proc, procRoot: "/proc")
        let netlink = try TWMonSystem.Scanner.make(kind: .netlink, procRoot: "/proc")
        #expect(netlink.source.name == "netlink")
        try Self.awaitTimeWait(1, on: port, through: proc)

        let netlinkScan = try netlink.scan(watchingPeersOf: [port]), netlinkTable = netlinkScan.table
        let procScan = try proc.scan(watchingPeersOf: [port]), procTable = procScan.table
        let server4 = try #require(netlinkTable[port: port])
        #expect(server4.ipv4[.listen] == 1)
        #expect(server4.ipv4[.established] == 1)
        #expect(server4.ipv4[.timeWait] == 1)
        #expect(procTable[port: port]?.ipv4[.listen] == 1)
        #expect(netlinkTable[port: port] == procTable[port: port])
        #expect(netlinkTable[port: clientPort]?.ipv4[.established] == 1)
        #expect(netlinkTable[port: clientPort] == procTable[port: clientPort])
        // The remote address of the TIME_WAIT socket comes out as /proc gives it.
        let loopback = try #require(IPAddress([127, 0, 0, 1]))
        #expect(netlinkScan.byproducts.topPeers[port] == [PeerCount(address: loopback, count: 1)])
        #expect(netlinkScan.byproducts.topPeers[port] == procScan.byproducts.topPeers[port])
        #expect(netlinkTable.malformedRows == 0)
    }

    @Test("a port with more TIME_WAIT sockets than one datagram holds counts and tallies its peers as /proc does")
    func manyDatagramsWithPeers() throws {
        let listener = try LoopbackTCP.listener()
        defer { listener.close() }
        let port = try listener.localPort()
        // 1 500 sockets: four datagrams of ≈ 370 messages, and three walks of the 512-socket batch.
        let count = 1_500
        for _ in 0..<count {
            let client = try LoopbackTCP.connected(to: port)
            try listener.accept().close()
            client.awaitEndOfStream()
            client.close()
        }
        let proc = TWMonSystem.Scanner(source: ProcNetSource())
        let netlink = TWMonSystem.Scanner(source: try NetlinkSource())
        try Self.awaitTimeWait(count, on: port, through: proc)

        // The test's namespace is the host's, shared with every other suite: an IPv6 client of
        // theirs may take this number as its ephemeral port (the listener holds it for IPv4
        // only) and close between the two scans. Up to five pairs of scans, until a pair agrees.
        var netlinkScan = try netlink.scan(watchingPeersOf: [port]), procScan = try proc.scan(watchingPeersOf: [port])
        for _ in 0..<4 where netlinkScan.table[port: port] != procScan.table[port: port] || netlinkScan.byproducts.topPeers != procScan.byproducts.topPeers {
            usleep(100_000)
            netlinkScan = try netlink.scan(watchingPeersOf: [port])
            procScan = try proc.scan(watchingPeersOf: [port])
        }
        let netlinkTable = netlinkScan.table, procTable = procScan.table
        #expect(netlinkTable[port: port]?.ipv4[.timeWait] == count)
        #expect(netlinkTable[port: port] == procTable[port: port])
        let loopback = try #require(IPAddress([127, 0, 0, 1]))
        // First: an IPv6 client of another suite may hold the same number as its local port.
        #expect(netlinkScan.byproducts.topPeers[port]?.first == PeerCount(address: loopback, count: count))
        #expect(netlinkScan.byproducts.topPeers == procScan.byproducts.topPeers)
        // Unwatched, the port counts the same and no peer is tallied.
        let unwatched = try netlink.scan()
        #expect(unwatched.table[port: port] == netlinkTable[port: port])
        #expect(unwatched.byproducts.topPeers.isEmpty)
        #expect(netlinkTable.malformedRows == 0)
    }

    @Test(
        "made by root, the socket gets bare time-wait messages and the thread keeps CAP_NET_ADMIN",
        .enabled(if: geteuid() == 0, "only a reader with CAP_NET_ADMIN is sent the attribute the socket avoids")
    )
    func noPrivilegedAttributes() throws {
        let listener = try LoopbackTCP.listener()
        defer { listener.close() }
        let port = try listener.localPort()
        let closing = try LoopbackTCP.connected(to: port)
        try listener.accept().close()
        closing.awaitEndOfStream()
        closing.close()
        let proc = TWMonSystem.Scanner(source: ProcNetSource())
        try Self.awaitTimeWait(1, on: port, through: proc)

        let descriptor = twmon_diag_open()
        try #require(descriptor >= 0)
        defer { Glibc.close(descriptor) }
        // CAP_NET_ADMIN is bit 12 of the thread's effective set, lowered only around socket().
        let status = try #require(try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8))
        let effective = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }?.split(separator: "\t").last
        #expect(effective.flatMap { UInt64($0, radix: 16) }.map { $0 & (1 << 12) != 0 } == true)

        var request = twmon_diag_request_make(1)
        #expect(withUnsafeBytes(of: &request) { send(descriptor, $0.baseAddress, $0.count, 0) } == MemoryLayout.size(ofValue: request))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var timeWaitLengths: Set<UInt32> = []
        receiving: while true {
            let received = recv(descriptor, &buffer, buffer.count, 0)
            try #require(received > 0)
            var offset = 0
            while offset + MemoryLayout<nlmsghdr>.size <= received {
                let header = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: nlmsghdr.self) }
                guard header.nlmsg_type != UInt16(NLMSG_DONE), header.nlmsg_len >= UInt32(MemoryLayout<nlmsghdr>.size) else { break receiving }
                // idiag_state is the second byte of the inet_diag_msg.
                if header.nlmsg_type == UInt16(TCPDIAG_GETSOCK), buffer[offset + MemoryLayout<nlmsghdr>.size + 1] == 6 {
                    timeWaitLengths.insert(header.nlmsg_len)
                }
                offset += (Int(header.nlmsg_len) + 3) & ~3
            }
        }
        // nlmsghdr (16) + inet_diag_msg (72), without INET_DIAG_MARK (8 more).
        #expect(timeWaitLengths == [88])
    }

    /// Loopback delivers the last ACK asynchronously: waits (up to 2 s) until `proc` sees
    /// `count` TIME_WAIT sockets on `port`.
    private static func awaitTimeWait(_ count: Int, on port: UInt16, through proc: TWMonSystem.Scanner) throws {
        var attempts = 0
        while try proc.scan().table[port: port]?.timeWait != count, attempts < 200 {
            attempts += 1
            usleep(10_000)
        }
    }

    @Test("the source's socket serves scan after scan")
    func scansRepeatedly() throws {
        let listener = try LoopbackTCP.listener()
        defer { listener.close() }
        let port = try listener.localPort()
        let scanner = TWMonSystem.Scanner(source: try NetlinkSource())
        for _ in 0..<3 {
            #expect(try scanner.scan().table[port: port]?.listening == true)
        }
    }
}

/// A failed socket call in a test.
private struct SocketFailure: Error, CustomStringConvertible {
    var call: String
    var code: Int32
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// A blocking IPv4 TCP socket on 127.0.0.1.
private struct LoopbackTCP {
    var descriptor: Int32

    private static func check(_ call: String, _ result: Int32) throws(SocketFailure) -> Int32 {
        if result < 0 { throw SocketFailure(call: call, code: errno) }
        return result
    }

    private static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = (127 << 24 | 1 as UInt32).bigEndian
        return address
    }

    private static func withSockaddr<Result>(
        _ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) -> Result {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    private static func makeSocket() throws(SocketFailure) -> Int32 {
        try check("socket", socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
    }

    /// A listener on 127.0.0.1 and a free port.
    static func listener() throws(SocketFailure) -> LoopbackTCP {
        let descriptor = try makeSocket()
        _ = try check("bind", withSockaddr(address(port: 0)) { bind(descriptor, $0, $1) })
        _ = try check("listen", listen(descriptor, 16))
        return LoopbackTCP(descriptor: descriptor)
    }

    /// A client connected to 127.0.0.1:`port`.
    static func connected(to port: UInt16) throws(SocketFailure) -> LoopbackTCP {
        let descriptor = try makeSocket()
        _ = try check("connect", withSockaddr(address(port: port)) { connect(descriptor, $0, $1) })
        return LoopbackTCP(descriptor: descriptor)
    }

    func accept() throws(SocketFailure) -> LoopbackTCP {
        LoopbackTCP(descriptor: try Self.check("accept", Glibc.accept(descriptor, nil, nil)))
    }

    func localPort() throws(SocketFailure) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try withUnsafeMutablePointer(to: &address) { pointer throws(SocketFailure) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socket throws(SocketFailure) in
                try Self.check("getsockname", getsockname(descriptor, socket, &length))
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Reads until the peer's FIN.
    func awaitEndOfStream() {
        var byte: UInt8 = 0
        while true {
            let got = read(descriptor, &byte, 1)
            if got == 0 || (got < 0 && errno != EINTR) { return }
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}
