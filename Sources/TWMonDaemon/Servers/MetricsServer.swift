import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import TWMonCore
import TWMonSystem

/// The Prometheus metrics endpoint (`GET /metrics` over HTTP/1.1), a `Service` of twmond.
///
/// It serves the TCP socket `twmond-metrics.socket` passed (socket activation) or binds
/// `metrics.listen` itself, and answers from the latest rendering (`MetricsPublisher`) on the
/// event loop: a scrape never waits for a scan. The control socket's limits apply, with the
/// remote address in place of the UID: at most 512 connections, 128 per address (the oldest
/// idle one of an address at its limit makes room, and the oldest idle one of any address when
/// all 512 are taken), accepting slowed while connections are refused or evicted faster than
/// 400 a second, 10 s idle, 60 s lifetime, 16 MiB of queued output. Connections thrown out
/// are reset (`ConnectionRegistry`), so they leave no TIME_WAIT on the endpoint's port.
public struct MetricsServer: Service {
    /// Where the endpoint listens.
    public enum Endpoint: Sendable, Equatable {
        /// Bind this address and port.
        case address(MetricsListenAddress)
        /// Serve a listening TCP socket passed by systemd.
        case activated(descriptor: Int32)
    }

    private let publisher: MetricsPublisher
    private let endpoint: Endpoint
    private let configuration: ControlServer.Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Told the bound address once listening (tests bind port 0).
    private let onListening: @Sendable (SocketAddress?) -> Void

    public init(
        publisher: MetricsPublisher, endpoint: Endpoint, configuration: ControlServer.Configuration = ControlServer.Configuration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "twmond.metrics"),
        onListening: @escaping @Sendable (SocketAddress?) -> Void = { _ in }
    ) {
        self.publisher = publisher
        self.endpoint = endpoint
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.onListening = onListening
    }

    /// The socket systemd passed, else `metrics.listen`; nil when neither asks for an endpoint.
    public static func endpoint(passed: SocketActivation, listen: String) -> Endpoint? {
        if let descriptor = passed.metrics { return .activated(descriptor: descriptor) }
        return MetricsListenAddress(listen).map(Endpoint.address)
    }

    public func run() async throws {
        let registry = ConnectionRegistry(
            name: "metrics endpoint",
            limits: ConnectionLedger.Limits(
                totalLimit: configuration.maximumConnections, perPeerLimit: configuration.maximumConnectionsPerPeer,
                outputLimit: configuration.maximumQueuedOutput
            ),
            churnPerSecond: configuration.churnPerSecond, logInterval: configuration.refusalLogInterval, logger: logger
        )
        let listener = try await listen(registry: registry)
        onListening(listener.localAddress)
        logger.info("metrics endpoint listening", metadata: ["address": "\(describe(listener))"])
        guard await registry.serve(until: listener) else { throw MetricsServerError.listenerClosed }
        logger.info("metrics endpoint closed")
    }

    private func listen(registry: ConnectionRegistry) async throws -> any Channel {
        let publisher = publisher, logger = logger
        let limits = VarlinkConnectionHandler.Limits(
            idleTimeout: .nanoseconds(Int64(configuration.idleTimeout / .nanoseconds(1))),
            lifetime: .nanoseconds(Int64(configuration.maximumLifetime / .nanoseconds(1))),
            maximumMessageSize: configuration.maximumMessageSize
        )
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: ControlServer.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptThrottleHandler(registry: registry))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Refused before any handler is made.
                    guard let peer = Self.peer(of: channel), let id = registry.admit(channel, peer: peer) else {
                        throw ControlServerError.tooManyConnections
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(
                        id: id, registry: registry, publisher: publisher, limits: limits, logger: logger
                    ))
                }
            }
        do {
            switch endpoint {
            case .address(let address):
                return try await bootstrap.bind(host: address.host, port: Int(address.port)).get()
            case .activated(let descriptor):
                return try await bootstrap.withBoundSocket(descriptor).get()
            }
        } catch {
            throw MetricsServerError.listen("\(endpoint)", "\(error)")
        }
    }

    /// The remote address of a connection, IPv4 clients of an IPv6 socket as IPv4.
    static func peer(of channel: any Channel) -> ConnectionPeer? {
        switch channel.remoteAddress {
        case .v4(let address):
            var inet = address.address.sin_addr
            let bytes = withUnsafeBytes(of: &inet) { Array($0) }
            return IPAddress(bytes).map(ConnectionPeer.address)
        case .v6(let address):
            var inet = address.address.sin6_addr
            let bytes = withUnsafeBytes(of: &inet) { Array($0) }
            return IPAddress(bytes).map { .address($0.unmapped) }
        default:
            return nil
        }
    }

    private func describe(_ listener: any Channel) -> String {
        let address = listener.localAddress.map { local in
            let host = local.ipAddress ?? "?"
            return host.contains(":") ? "[\(host)]:\(local.port ?? 0)" : "\(host):\(local.port ?? 0)"
        } ?? "?"
        if case .activated(let descriptor) = endpoint { return "\(address), fd \(descriptor) (socket activation)" }
        return address
    }
}

/// The metrics endpoint could not be served.
public enum MetricsServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Binding the address or adopting the passed socket failed.
    case listen(String, String)
    /// The listening socket closed without a shutdown request.
    case listenerClosed

    public var description: String {
        switch self {
        case .listen(let endpoint, let reason): "cannot serve metrics on \(endpoint): \(reason)"
        case .listenerClosed: "the metrics endpoint closed unexpectedly"
        }
    }
}
