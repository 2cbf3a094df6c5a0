import Logging
import NIOCore
import NIOHTTP1
import TWMonCore

/// Serves one metrics connection (HTTP/1.1 behind NIOHTTP1's server pipeline, which parses
/// requests, answers malformed ones with 400 and orders pipelined responses): `GET /metrics`
/// (and `HEAD`) get the latest exposition, any other path 404, any other method on `/metrics`
/// 405. The limits of the control socket apply: a connection that completes no request for
/// `idleTimeout` is closed, one open for `lifetime` is closed after its current response, a
/// request body over `maximumMessageSize` closes it, and while the peer does not read its
/// responses nothing more is read from it; queued responses count against the registry's
/// output bound (one buffer per rendering, shared by all who fetch it).
final class MetricsHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let id: ConnectionLedger.ID
    private let registry: ConnectionRegistry
    private let publisher: MetricsPublisher
    private let limits: VarlinkConnectionHandler.Limits
    private let logger: Logger
    private var request: HTTPRequestHead?
    private var bodyBytes = 0
    private let deadlines: ConnectionDeadlines
    private var readDeferred = false
    private var expired = false
    private var closing = false

    init(
        id: ConnectionLedger.ID, registry: ConnectionRegistry, publisher: MetricsPublisher,
        limits: VarlinkConnectionHandler.Limits, logger: Logger
    ) {
        self.id = id
        self.registry = registry
        self.publisher = publisher
        self.limits = limits
        self.logger = logger
        deadlines = ConnectionDeadlines(idleTimeout: limits.idleTimeout, lifetime: limits.lifetime)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadlines.start(on: context.eventLoop) { [self] in
            logger.debug("closing idle metrics connection")
            close(context: context)
        } onLifetimeEnd: { [self] in
            expired = true
            // Between requests: close now; in the middle of one: after its response.
            if request == nil { close(context: context) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlines.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        deadlines.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            bodyBytes = 0
        case .body(let chunk):
            bodyBytes += chunk.readableBytes
            if bodyBytes > limits.maximumMessageSize {
                logger.debug("closing metrics connection", metadata: ["reason": "request body over \(limits.maximumMessageSize) bytes"])
                close(context: context)
            }
        case .end:
            guard let head = request else { return }
            request = nil
            deadlines.requestCompleted()
            registry.touch(id)
            respond(to: head, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readDeferred && !closing {
            readDeferred = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readDeferred = true
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("metrics connection failed", metadata: ["error": "\(error)"])
        close(context: context)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let keepAlive = head.isKeepAlive && !expired
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        var body: ByteBuffer?
        var buffer: ConnectionLedger.BufferID = 0
        if path != "/metrics" {
            status = .notFound
            body = ByteBuffer(string: "twmond serves only GET /metrics\n")
        } else if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
            body = ByteBuffer(string: "only GET and HEAD\n")
        } else if let exposition = publisher.latest {
            status = .ok
            headers.add(name: "Content-Type", value: MetricsRenderer.contentType)
            body = exposition.body
            buffer = exposition.generation
        } else {
            status = .serviceUnavailable
            body = ByteBuffer(string: "no scan yet\n")
        }
        if status != .ok { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body, head.method != .HEAD {
            let bytes = body.readableBytes
            // Error texts are small and not shared: their own buffer number, past any rendering's.
            registry.queue(status == .ok ? buffer : ConnectionLedger.BufferID.max - id, bytes: bytes, for: id)
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { [registry, id] _ in registry.written(bytes, for: id) }
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: written)
        }
        let ended = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: ended)
        if !keepAlive {
            ended.futureResult.assumeIsolated().whenComplete { [self] _ in close(context: context) }
        }
    }

    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        deadlines.cancel()
        context.close(promise: nil)
    }
}
