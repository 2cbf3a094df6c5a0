import Glibc

/// The address of a Unix socket file (`sockaddr_un`), as `bind` and `connect` take it.
public struct UnixSocketAddress: Sendable {
    /// The socket file's path.
    public let path: String
    private let address: sockaddr_un

    /// The address of the socket file at `path`; nil when the path does not fit in
    /// `sun_path` with its terminating NUL (108 bytes).
    public init?(path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        self.path = path
        self.address = address
    }

    /// Calls `body` with the address and its length, for `bind` or `connect`.
    public func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result) rethrows -> Result {
        try withUnsafePointer(to: address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
