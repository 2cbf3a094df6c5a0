import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
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
    /// Limits that keep misbehaving clients from costing more than bounded memory and time,
    /// and one local user from taking the socket away from another.
    public struct Configuration: Sendable {
        /// Connections served at once, all peers together. A quarter of systemd's Varlink
        /// servers' 4096, so that with its other descriptors twmond stays under the soft
        /// `RLIMIT_NOFILE` of 1024 a service gets by default. When all are taken, a new
        /// connection replaces the least recently active idle one of any peer; it is refused
        /// only while all of them are busy writing replies.
        public var maximumConnections = 512
        /// Connections served at once per peer — the UID (`SO_PEERCRED`) on the control
        /// socket, the remote address on the metrics endpoint — a quarter of the total as in
        /// systemd (1024 of 4096). A peer at its limit that connects again loses its own least
        /// recently active idle connection; it is refused only while all of them are busy
        /// writing replies.
        public var maximumConnectionsPerPeer = 128
        /// A connection that completes no request for this long is closed.
        public var idleTimeout: Duration = .seconds(10)
        /// A connection is closed this long after it was accepted, whatever it does (its
        /// replies are written first): the idle timer cannot be renewed forever.
        public var maximumLifetime: Duration = .seconds(60)
        /// The largest request accepted, in bytes; a longer one closes the connection.
        public var maximumMessageSize = VarlinkFramer.defaultMaximumMessageSize
        /// Bytes of replies queued and not yet written, all connections together, counted as
        /// if no reply were shared; a reply that would pass it closes the slowest readers.
        public var maximumQueuedOutput = 16 << 20
        /// Connections refused or evicted per second before accepting slows down to this
        /// rate: a reconnect loop then costs at most this many accepts a second (measured at
        /// ≈ 0.3 ms of CPU each in a debug build: ≈ 12 % of a core), and a client queued
        /// behind a flood of 300 reconnecting connections waits ≈ 172 ÷ 400 = 0.43 s.
        public var churnPerSecond = 400.0
        /// Seconds between two log lines about one UID's refused (or evicted) connections.
        public var refusalLogInterval = 60.0

        public init() {}
    }

    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        /// Bind a Unix socket at this path, mode 0666. A stale socket file is replaced; one a
        /// server still accepts on (another twmond) is an error, `alreadyServed`.
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
    public static func endpoint(passed: SocketActivation, socketPath: String) -> Endpoint {
        if let descriptor = passed.control { return .activated(descriptor: descriptor) }
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
        let registry = ConnectionRegistry(
            name: "control socket", limits: ConnectionLedger.Limits(
                totalLimit: configuration.maximumConnections, perPeerLimit: configuration.maximumConnectionsPerPeer,
                outputLimit: configuration.maximumQueuedOutput
            ),
            churnPerSecond: configuration.churnPerSecond, logInterval: configuration.refusalLogInterval, logger: logger
        )
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

        let stopRequested = await registry.serve(until: listener)
        ownSocketFile?.remove()
        guard stopRequested else { throw ControlServerError.listenerClosed }
        logger.info("control socket closed")
    }

    private func listen(registry: ConnectionRegistry) async throws -> any Channel {
        let replies = SharedReplies(store: store), clock = clock, logger = logger
        let limits = VarlinkConnectionHandler.Limits(
            idleTimeout: Self.timeAmount(configuration.idleTimeout), lifetime: Self.timeAmount(configuration.maximumLifetime),
            maximumMessageSize: configuration.maximumMessageSize
        )
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.backlog)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptThrottleHandler(registry: registry))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                // Refused before any handler is made: reading the peer's credentials is the
                // only cost of a connection over the limit.
                Self.peerUser(of: channel).flatMapThrowing { user in
                    guard let id = registry.admit(channel, peer: .user(user)) else { throw ControlServerError.tooManyConnections }
                    try channel.pipeline.syncOperations.addHandler(VarlinkConnectionHandler(
                        id: id, registry: registry, replies: replies, clock: clock, limits: limits, logger: logger
                    ))
                }
            }
        do {
            switch endpoint {
            case .path(let path):
                // A stale file is replaced; a live one belongs to another instance.
                if BoundSocketFile.isServed(at: path) { throw ControlServerError.alreadyServed(path) }
                return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            case .activated(let descriptor):
                return try await bootstrap.withBoundSocket(descriptor).get()
            }
        } catch let error as ControlServerError {
            throw error
        } catch {
            throw ControlServerError.listen(describe(endpoint), "\(error)")
        }
    }

    /// Connections waiting to be accepted. While the server throttles a reconnect loop
    /// (`churnPerSecond`), a client behind a full backlog waits about backlog ÷ rate.
    static let backlog: Int32 = 256

    /// The UID of the process at the other end (`SO_PEERCRED`).
    private static func peerUser(of channel: any Channel) -> EventLoopFuture<UInt32> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ControlServerError.tooManyConnections)
        }
        // `struct ucred` (pid, uid, gid), which Glibc exports only under _GNU_SOURCE.
        let credentials: EventLoopFuture<(pid: Int32, uid: UInt32, gid: UInt32)> =
            provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentials.map { $0.uid }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration / .nanoseconds(1)))
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
    /// Another server (a running twmond) accepts connections on this socket path.
    case alreadyServed(String)
    /// The listening socket closed without a shutdown request.
    case listenerClosed
    /// A connection over the limits, or whose peer is unknown (closed at once; never leaves
    /// the server).
    case tooManyConnections

    public var description: String {
        switch self {
        case .listen(let endpoint, let reason): "cannot listen on \(endpoint): \(reason)"
        case .socketFile(let error): "control socket: \(error)"
        case .alreadyServed(let path): "another process (a running twmond?) is serving \(path); refusing to replace its socket"
        case .listenerClosed: "the control socket closed unexpectedly"
        case .tooManyConnections: "too many control connections"
        }
    }
}
