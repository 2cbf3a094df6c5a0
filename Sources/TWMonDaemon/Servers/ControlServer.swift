import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TWMonCore
import TWMonSystem

/// The Varlink control socket (`io.twmon.Monitor`), a `Service` of twmond: a
/// `ConnectionServer` whose peers are UIDs (`SO_PEERCRED`) and whose connections speak Varlink
/// (`VarlinkConnectionHandler`).
///
/// It listens on the socket systemd passed (socket activation) or binds its own path, reports
/// the control-socket readiness condition once listening, and answers every call from the
/// latest snapshot on the event loop: replies never wait for a scan or for the Swift
/// concurrency pool the scans run on.
public struct ControlServer: Service {
    private let store: SnapshotStore
    private let server: ConnectionServer

    /// - Parameters:
    ///   - store: Where the latest snapshot is read from.
    ///   - readiness: Told `.controlSocket` once the server listens.
    ///   - endpoint: The socket to serve; see `endpoint(passed:socketPath:)`.
    ///   - clock: The wall clock (seconds since the epoch), for uptimes.
    public init(
        store: SnapshotStore, readiness: ReadinessGate, endpoint: ConnectionServer.Endpoint, limits: ConnectionLimits = ConnectionLimits(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        clock: @escaping @Sendable () -> Double = WallClock.now, logger: Logger = Logger(label: "twmond.control")
    ) {
        self.store = store
        let replies = SharedReplies(store: store)
        server = ConnectionServer(
            name: "control socket", endpoint: endpoint, limits: limits, allowsHalfClosure: true, group: group, logger: logger,
            onListening: { _ in readiness.satisfy(.controlSocket) }, identify: Self.peerUID
        ) { channel, connection in
            try channel.pipeline.syncOperations.addHandler(VarlinkConnectionHandler(
                connection: connection, replies: replies, clock: clock, logger: logger
            ))
        }
    }

    /// The socket systemd passed when socket-activated, else `socketPath` to bind.
    public static func endpoint(passed: SocketActivation, socketPath: String) -> ConnectionServer.Endpoint {
        if let descriptor = passed.control { return .activated(descriptor: descriptor) }
        return .path(socketPath)
    }

    public func run() async throws {
        // Under socket activation the client whose connection started twmond is already queued
        // on the passed socket: accept only once the first scan has published a snapshot, so
        // that client gets its answer instead of NotReady.
        if case .activated = server.endpoint {
            while store.latest == nil {
                if Task.isShuttingDownGracefully { return }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        try await server.run()
    }

    /// The peer of a connection: the UID of the process at the other end (`SO_PEERCRED`).
    private static func peerUID(of channel: any Channel) -> EventLoopFuture<ConnectionPeer?> {
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        // `struct ucred` (pid, uid, gid), which Glibc exports only under _GNU_SOURCE.
        let credentials: EventLoopFuture<(pid: Int32, uid: UInt32, gid: UInt32)> =
            provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentials.map { .uid($0.uid) }
    }
}
