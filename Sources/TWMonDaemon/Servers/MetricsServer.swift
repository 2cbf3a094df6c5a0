import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import TWMonCore
import TWMonSystem

/// The Prometheus metrics endpoint (`GET /metrics` over HTTP/1.1), a `Service` of twmond: a
/// `ConnectionServer` whose peers are remote addresses and whose connections speak HTTP
/// (`MetricsHTTPHandler` behind NIOHTTP1's server pipeline).
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
    private let server: ConnectionServer

    /// - Parameters:
    ///   - publisher: Where the latest rendering is read from.
    ///   - endpoint: The socket to serve; see `endpoint(passed:listen:)`.
    ///   - onListening: Told the bound address once listening (tests bind port 0).
    public init(
        publisher: MetricsPublisher, endpoint: ConnectionServer.Endpoint, limits: ConnectionLimits = ConnectionLimits(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "twmond.metrics"),
        onListening: @escaping @Sendable (SocketAddress?) -> Void = { _ in }
    ) {
        server = ConnectionServer(
            name: "metrics endpoint", endpoint: endpoint, limits: limits, allowsHalfClosure: false, group: group, logger: logger,
            onListening: onListening, identify: { channel in channel.eventLoop.makeSucceededFuture(Self.peerAddress(of: channel)) }
        ) { channel, connection in
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(connection: connection, publisher: publisher, logger: logger))
        }
    }

    /// The socket systemd passed, else `metrics.listen`; nil when neither asks for an endpoint.
    public static func endpoint(passed: SocketActivation, listen: String) -> ConnectionServer.Endpoint? {
        if let descriptor = passed.metrics { return .activated(descriptor: descriptor) }
        return MetricsListenAddress(listen).map { .address(host: $0.host, port: $0.port) }
    }

    public func run() async throws {
        try await server.run()
    }

    /// The peer of a connection: its remote address, IPv4 clients of an IPv6 socket as IPv4.
    static func peerAddress(of channel: any Channel) -> ConnectionPeer? {
        switch channel.remoteAddress {
        // The address bytes at their offsets in the Linux ABI (sockaddr_in: family 2, port 2,
        // address 4; sockaddr_in6: family 2, port 2, flow info 4, address 16), read without
        // naming the C members, which Swift attributes to NIO's C module.
        case .v4(let address):
            let bytes = withUnsafeBytes(of: address.address) { Array($0[4..<8]) }
            return IPAddress(bytes).map(ConnectionPeer.address)
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address) { Array($0[8..<24]) }
            return IPAddress(bytes).map { .address($0.unmapped) }
        default:
            return nil
        }
    }
}
