import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TWMonCore
import TWMonSystem

/// The Varlink control socket (`io.twmon.Monitor`), a `Service` of twmond.
///
/// It listens on the socket systemd passed (socket activation) or binds its own path, reports
/// the control-socket readiness condition once listening, and answers every call from the
/// latest snapshot on the event loop: replies never wait for a scan or for the Swift
/// concurrency pool the scans run on. On graceful shutdown it stops accepting, closes the open
/// connections and removes the socket file if it created it.
public struct ControlServer: Service {
    /// Limits that keep misbehaving clients from costing more than bounded memory and time.
    public struct Configuration: Sendable {
        /// Connections served at once; more are accepted and closed at once.
        public var maximumConnections = 256
        /// A connection that completes no request for this long is closed.
        public var idleTimeout: Duration = .seconds(10)
        /// The largest request accepted, in bytes; a longer one closes the connection.
        public var maximumMessageSize = VarlinkFramer.defaultMaximumMessageSize

        public init() {}
    }

    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        /// Bind a Unix socket at this path (a stale socket file is replaced), mode 0666.
        case path(String)
        /// Serve a listening socket passed by systemd (`ListenStream=`, fd 3).
        case activated(descriptor: Int32)
    }

    private let store: SnapshotStore
    private let readiness: ReadinessGate
    private let endpoint: Endpoint
    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let clock: @Sendable () -> Double
    private let logger: Logger

    /// - Parameters:
    ///   - store: Where the latest snapshot is read from.
    ///   - readiness: Told `.controlSocket` once the server listens.
    ///   - endpoint: The socket to serve; see `endpoint(socketPath:)`.
    ///   - clock: The wall clock (seconds since the epoch), for uptimes.
    public init(
        store: SnapshotStore, readiness: ReadinessGate, endpoint: Endpoint, configuration: Configuration = Configuration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        clock: @escaping @Sendable () -> Double = WallClock.now, logger: Logger = Logger(label: "twmond.control")
    ) {
        self.store = store
        self.readiness = readiness
        self.endpoint = endpoint
        self.configuration = configuration
        self.group = group
        self.clock = clock
        self.logger = logger
    }

    /// The socket systemd passed when socket-activated, else `socketPath` to bind.
    public static func endpoint(socketPath: String) throws(SocketActivationError) -> Endpoint {
        if let descriptor = try SocketActivation.listeningSocket() { return .activated(descriptor: descriptor) }
        return .path(socketPath)
    }

    public func run() async throws {
        // Under socket activation the client whose connection started twmond is already queued
        // on the passed socket: accept only once the first scan has published a snapshot, so
        // that client gets its answer instead of NotReady.
        if case .activated = endpoint {
            while store.latest == nil {
                if Task.isShuttingDownGracefully { return }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let registry = ConnectionRegistry(limit: configuration.maximumConnections)
        let listener = try await listen(registry: registry)
        let ownSocketFile: BoundSocketFile?
        switch endpoint {
        case .path(let path):
            do {
                ownSocketFile = try BoundSocketFile(boundAt: path)
            } catch {
                try? await listener.close()
                throw ControlServerError.socketFile(error)
            }
        case .activated:
            ownSocketFile = nil
        }
        readiness.satisfy(.controlSocket)
        logger.info("control socket listening", metadata: ["socket": "\(describe(endpoint))"])

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
        guard stopRequested.load(ordering: .sequentiallyConsistent) else {
            throw ControlServerError.listenerClosed
        }
        logger.info("control socket closed")
    }

    private func listen(registry: ConnectionRegistry) async throws -> any Channel {
        let store = store, clock = clock, logger = logger
        let idleTimeout = TimeAmount.nanoseconds(Int64(configuration.idleTimeout / .nanoseconds(1)))
        let maximumMessageSize = configuration.maximumMessageSize
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.maximumConnections))
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard registry.admit(channel) else {
                    logger.debug("control socket: connection limit reached, closing a new connection", metadata: ["limit": "\(registry.limit)"])
                    return channel.eventLoop.makeFailedFuture(ControlServerError.tooManyConnections)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(VarlinkConnectionHandler(
                        store: store, clock: clock, idleTimeout: idleTimeout, maximumMessageSize: maximumMessageSize, logger: logger
                    ))
                }
            }
        do {
            switch endpoint {
            case .path(let path):
                return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            case .activated(let descriptor):
                return try await bootstrap.withBoundSocket(descriptor).get()
            }
        } catch {
            throw ControlServerError.listen(describe(endpoint), "\(error)")
        }
    }

    private func describe(_ endpoint: Endpoint) -> String {
        switch endpoint {
        case .path(let path): path
        case .activated(let descriptor): "fd \(descriptor) (socket activation)"
        }
    }
}

/// The control socket could not be served.
public enum ControlServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Binding the path or adopting the passed socket failed.
    case listen(String, String)
    /// The socket file just bound could not be made world-connectable.
    case socketFile(SystemCallError)
    /// The listening socket closed without a shutdown request.
    case listenerClosed
    /// A connection over the limit (closed at once; never leaves the server).
    case tooManyConnections

    public var description: String {
        switch self {
        case .listen(let endpoint, let reason): "cannot listen on \(endpoint): \(reason)"
        case .socketFile(let error): "control socket: \(error)"
        case .listenerClosed: "the control socket closed unexpectedly"
        case .tooManyConnections: "too many control connections"
        }
    }
}
