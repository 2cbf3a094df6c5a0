import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TWMonCore
import TWMonSystem

/// The one connection server under the control socket and the metrics endpoint: binds its
/// endpoint (or adopts the socket systemd passed), admits each connection by its peer under
/// `ConnectionLimits` (`ConnectionRegistry`: per-peer and total limits, eviction, resets,
/// output bound, accept throttle), hands it to the protocol's handlers, and on graceful
/// shutdown stops accepting, closes every connection and removes the socket file it bound.
///
/// What differs between the two servers is plugged in: how a connection's peer is known
/// (`identify`) and the protocol's handlers (`initializeConnection`).
///
/// Connections are served by channel handlers on their event loop, not by an
/// `NIOAsyncChannel` task each as hummingbird does: a reply then never waits for the Swift
/// concurrency pool, which the scans may hold (`ControlLatencyTests`), and backpressure,
/// deadlines and output accounting act on the loop the bytes move on.
public struct ConnectionServer: Sendable {
    /// Where a server listens.
    public enum Endpoint: Sendable, Equatable {
        /// Bind a Unix socket at this path, mode 0666. A stale socket file is replaced; one a
        /// server still accepts on (another twmond) is an error, `alreadyServed`.
        case path(String)
        /// Bind this numeric address and TCP port.
        case address(host: String, port: UInt16)
        /// Serve a listening socket passed by systemd (`ListenStream=`).
        case activated(descriptor: Int32)
    }

    /// The peer of a new connection, nil when it cannot be known (the connection is refused).
    typealias Identify = @Sendable (any Channel) -> EventLoopFuture<ConnectionPeer?>
    /// Adds the protocol's handlers to an admitted connection's pipeline, on its event loop.
    typealias InitializeConnection = @Sendable (any Channel, ServedConnection) throws -> Void

    /// Connections waiting to be accepted. While the server throttles a reconnect loop
    /// (`churnPerSecond`), a client behind a full backlog waits about backlog ÷ rate.
    static let backlog: Int32 = 256

    /// Names the server in log lines and errors (`control socket`, `metrics endpoint`).
    let name: String
    /// Where it listens.
    let endpoint: Endpoint
    private let limits: ConnectionLimits
    /// Whether a peer may shut down its sending side and still read its replies (the
    /// protocol's handler then sees `ChannelEvent.inputClosed`).
    private let allowsHalfClosure: Bool
    private let group: any EventLoopGroup
    private let logger: Logger
    private let identify: Identify
    private let initializeConnection: InitializeConnection
    /// Told the bound address once listening (readiness; tests bind port 0).
    private let onListening: @Sendable (SocketAddress?) -> Void

    init(
        name: String, endpoint: Endpoint, limits: ConnectionLimits, allowsHalfClosure: Bool, group: any EventLoopGroup, logger: Logger,
        onListening: @escaping @Sendable (SocketAddress?) -> Void, identify: @escaping Identify,
        initializeConnection: @escaping InitializeConnection
    ) {
        self.name = name
        self.endpoint = endpoint
        self.limits = limits
        self.allowsHalfClosure = allowsHalfClosure
        self.group = group
        self.logger = logger
        self.onListening = onListening
        self.identify = identify
        self.initializeConnection = initializeConnection
    }

    /// Listens, serves until a graceful shutdown (or cancellation), then closes every
    /// connection and removes the socket file it bound. Throws `ConnectionServerError` when it
    /// cannot listen, or when the listening socket closes without a shutdown request.
    func run() async throws {
        let registry = ConnectionRegistry(name: name, limits: limits, logger: logger)
        let listener = try await listen(registry: registry)
        var ownSocketFile: BoundSocketFile?
        if case .path(let path) = endpoint {
            do {
                ownSocketFile = try BoundSocketFile(boundAt: path)
            } catch {
                try? await listener.close()
                throw ConnectionServerError.socketFile(server: name, error)
            }
        }
        onListening(listener.localAddress)
        logger.info("\(name) listening", metadata: describe(listener))
        // Serve until a graceful shutdown (or cancellation) closes the listener, or it closes
        // by itself; then close every connection.
        let stopRequested = Atomic(false)
        try? await withTaskCancellationOrGracefulShutdownHandler {
            try await listener.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            stopRequested.store(true, ordering: .sequentiallyConsistent)
            listener.close(promise: nil)
        }
        try? await listener.close()
        await registry.closeAll()
        ownSocketFile?.remove()
        guard stopRequested.load(ordering: .sequentiallyConsistent) else { throw ConnectionServerError.listenerClosed(server: name) }
        logger.info("\(name) closed")
    }

    private func listen(registry: ConnectionRegistry) async throws -> any Channel {
        let limits = limits, identify = identify, initializeConnection = initializeConnection
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptThrottleHandler(registry: registry))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: allowsHalfClosure)
            .childChannelInitializer { channel in
                // Refused before any handler is made: knowing the peer is the only cost of a
                // connection over the limits.
                identify(channel).flatMapThrowing { peer in
                    guard let peer, let id = registry.admit(channel, peer: peer) else { throw ConnectionServerError.refused }
                    try initializeConnection(channel, ServedConnection(id: id, registry: registry, limits: limits))
                }
            }
        do {
            switch endpoint {
            case .path(let path):
                // A stale file is replaced; a live one belongs to another instance.
                if BoundSocketFile.isServed(at: path) { throw ConnectionServerError.alreadyServed(path) }
                return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            case .address(let host, let port):
                return try await bootstrap.bind(host: host, port: Int(port)).get()
            case .activated(let descriptor):
                return try await bootstrap.withBoundSocket(descriptor).get()
            }
        } catch let error as ConnectionServerError {
            throw error
        } catch {
            throw ConnectionServerError.listen(server: name, endpoint: describe(endpoint), reason: "\(error)")
        }
    }

    /// The listening log line's field: `socket` (a Unix path, or the passed descriptor) or
    /// `address` (host and port, and the passed descriptor).
    private func describe(_ listener: any Channel) -> Logger.Metadata {
        guard let local = listener.localAddress, local.protocol != .unix else { return ["socket": "\(describe(endpoint))"] }
        let address = Self.describe(host: local.ipAddress ?? "?", port: local.port ?? 0)
        if case .activated(let descriptor) = endpoint { return ["address": "\(address), fd \(descriptor) (socket activation)"] }
        return ["address": "\(address)"]
    }

    private func describe(_ endpoint: Endpoint) -> String {
        switch endpoint {
        case .path(let path): path
        case .address(let host, let port): Self.describe(host: host, port: Int(port))
        case .activated(let descriptor): "fd \(descriptor) (socket activation)"
        }
    }

    private static func describe(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// An admitted connection as its protocol's handler sees it: its place in the registry,
/// where its activity and queued output are accounted, and the limits it is served under.
struct ServedConnection: Sendable {
    /// The connection's number in the registry.
    let id: ConnectionLedger.ID
    /// The registry accounting it.
    let registry: ConnectionRegistry
    /// The limits it is served under.
    let limits: ConnectionLimits

    /// A request completed: the connection is its peer's most recently active one.
    func requestCompleted() {
        registry.touch(id)
    }

    /// Accounts `bytes` of reply buffer `buffer` as queued; the promise returned, passed to
    /// the write, accounts them as written (or dropped) when it completes. The slowest readers
    /// are closed if the output queued would pass the bound.
    func queue(_ buffer: ConnectionLedger.BufferID, bytes: Int, on loop: any EventLoop) -> EventLoopPromise<Void> {
        registry.queue(buffer, bytes: bytes, for: id)
        let written = loop.makePromise(of: Void.self)
        written.futureResult.whenComplete { [registry, id] _ in registry.written(bytes, for: id) }
        return written
    }
}

/// A connection server could not be served.
public enum ConnectionServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Binding the path or address, or adopting the passed socket, failed.
    case listen(server: String, endpoint: String, reason: String)
    /// The socket file just bound could not be made world-connectable.
    case socketFile(server: String, SystemCallError)
    /// Another server (a running twmond) accepts connections on this socket path.
    case alreadyServed(String)
    /// The listening socket closed without a shutdown request.
    case listenerClosed(server: String)
    /// A connection over the limits, or whose peer is unknown (closed at once; never leaves
    /// the server).
    case refused

    public var description: String {
        switch self {
        case .listen(let server, let endpoint, let reason): "\(server): cannot listen on \(endpoint): \(reason)"
        case .socketFile(let server, let error): "\(server): \(error)"
        case .alreadyServed(let path): "another process (a running twmond?) is serving \(path); refusing to replace its socket"
        case .listenerClosed(let server): "the \(server) closed unexpectedly"
        case .refused: "connection refused: over the limits, or its peer is unknown"
        }
    }
}
