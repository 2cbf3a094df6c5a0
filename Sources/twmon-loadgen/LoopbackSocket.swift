import Glibc

/// A failed socket call in the load generator.
struct SocketCallError: Error, CustomStringConvertible {
    var call: String
    var code: Int32
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// An IPv4 or IPv6 address and port as a `sockaddr_storage`.
struct LoopbackAddress {
    var storage = sockaddr_storage()
    var family: Int32

    init?(_ text: String) {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, text, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            family = AF_INET  // before the closure below, which captures self
            withUnsafeBytes(of: v4) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, text, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            family = AF_INET6  // before the closure below, which captures self
            withUnsafeBytes(of: v6) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
            return
        }
        return nil
    }

    var length: socklen_t {
        socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    /// `0.0.0.0` or `::`.
    var isUnspecified: Bool {
        withUnsafeBytes(of: storage) { raw in
            family == AF_INET
                ? raw.load(fromByteOffset: 4, as: UInt32.self) == 0
                : (8..<24).allSatisfy { raw[$0] == 0 }
        }
    }

    var port: UInt16 {
        get { withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) } }
        set { withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue.bigEndian, toByteOffset: 2, as: UInt16.self) } }
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}

/// A blocking TCP socket on loopback.
struct LoopbackSocket {
    var descriptor: Int32

    private static func check(_ call: String, _ result: Int32) throws -> Int32 {
        if result < 0 { throw SocketCallError(call: call, code: errno) }
        return result
    }

    /// A listening socket; `::` listens dual-stack (IPV6_V6ONLY off).
    static func listener(on address: LoopbackAddress, port: UInt16) throws -> LoopbackSocket {
        let descriptor = try check("socket", socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        var on: Int32 = 1, off: Int32 = 0
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        var bound = address
        bound.port = port
        _ = try check("bind", bound.withSockaddr { bind(descriptor, $0, $1) })
        _ = try check("listen", Glibc.listen(descriptor, 4096))
        return LoopbackSocket(descriptor: descriptor)
    }

    /// A client connected to `target`, bound to `source` first when given.
    static func connected(to target: LoopbackAddress, from source: LoopbackAddress?) throws -> LoopbackSocket {
        let descriptor = try check("socket", socket(target.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        if let source {
            var on: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            _ = try check("bind", source.withSockaddr { bind(descriptor, $0, $1) })
        }
        _ = try check("connect", target.withSockaddr { Glibc.connect(descriptor, $0, $1) })
        return LoopbackSocket(descriptor: descriptor)
    }

    func accept() throws -> LoopbackSocket {
        LoopbackSocket(descriptor: try Self.check("accept", Glibc.accept(descriptor, nil, nil)))
    }

    func localPort() throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try Self.check("getsockname", getsockname(descriptor, $0, &length))
            }
        }
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// Reads until the peer's FIN (or an error).
    func awaitEndOfStream() {
        var byte: UInt8 = 0
        while true {
            let got = read(descriptor, &byte, 1)
            if got == 0 || (got < 0 && errno != EINTR) { return }
        }
    }

    func close() { _ = Glibc.close(descriptor) }

    /// Closes with `SO_LINGER` 0: the kernel sends a RST and frees the socket at once.
    func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }
}
