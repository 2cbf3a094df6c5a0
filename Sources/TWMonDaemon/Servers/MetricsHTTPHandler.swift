import Logging
import NIOCore
import NIOHTTP1
import TWMonCore

/// Serves one metrics connection (HTTP/1.1 behind NIOHTTP1's server pipeline, which parses
/// requests, answers malformed ones with 400 and orders pipelined responses): `GET /metrics`
/// (and `HEAD`) get the latest exposition, any other path 404, any other method on `/metrics`
/// 405; the target may be in origin form (`/metrics`) or absolute form
/// (`http://host:port/metrics`), a target in neither gets 400. A request body (a GET's too) is
/// read and ignored; `Expect: 100-continue` is answered `100 Continue` at once (an HTTP/1.0
/// request's is ignored, as RFC 9110 says), any other expectation `417 Expectation Failed`, and
/// a body declared or found over `maximumMessageSize` `413 Content Too Large`; those two end
/// the connection after the answer.
///
/// The limits of the control socket apply: a connection that completes no request for
/// `idleTimeout` is closed — with a reset if it never completed one (it only held a slot),
/// gracefully if it did (a kept-alive client between scrapes) — one open for `lifetime` is
/// closed after its current response, and while the peer does not read its responses nothing
/// more is read from it; queued responses count against the registry's output bound (one
/// buffer per rendering, shared by all who fetch it).
final class MetricsHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: ServedConnection
    private let publisher: MetricsPublisher
    private let logger: Logger
    private var request: HTTPRequestHead?
    private var bodyBytes = 0
    /// A request was completed on this connection.
    private var served = false
    /// A request was answered before its end (413, 417): nothing more is read.
    private var rejected = false
    private let deadlines: ConnectionDeadlines
    private var readDeferred = false
    private var expired = false
    private var closing = false

    init(connection: ServedConnection, publisher: MetricsPublisher, logger: Logger) {
        self.connection = connection
        self.publisher = publisher
        self.logger = logger
        deadlines = ConnectionDeadlines(limits: connection.limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadlines.start(on: context.eventLoop) { [self] in
            logger.debug("closing idle metrics connection", metadata: ["served": "\(served)"])
            close(context: context, reset: !served)
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
        guard !closing, !rejected else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            bodyBytes = 0
            if let status = answerBeforeBody(head) {
                reject(head, status, context: context)
            } else if head.hasExpectations {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body(let chunk):
            guard let head = request else { return }
            bodyBytes += chunk.readableBytes
            if bodyBytes > connection.limits.maximumMessageSize { reject(head, Self.contentTooLarge, context: context) }
        case .end:
            guard let head = request else { return }
            request = nil
            served = true
            deadlines.requestCompleted()
            connection.requestCompleted()
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

    /// `413 Content Too Large`, RFC 9110's name for it (NIO still says "Payload Too Large").
    private static let contentTooLarge = HTTPResponseStatus.custom(code: 413, reasonPhrase: "Content Too Large")

    /// The final answer a request gets before its body is read, if any: 417 for an
    /// expectation other than `100-continue`, 413 for a declared length over the limit.
    private func answerBeforeBody(_ head: HTTPRequestHead) -> HTTPResponseStatus? {
        let expectations = head.headers["expect"]
        if head.hasExpectations, expectations.count > 1 || expectations[0].trimmingSpaces.lowercased() != "100-continue" {
            return .expectationFailed
        }
        // The decoder has checked the digits; a length too large for an Int is over the limit.
        let declared = head.headers["content-length"].map { Int($0.trimmingSpaces) ?? .max }
        return declared.contains { $0 > connection.limits.maximumMessageSize } ? Self.contentTooLarge : nil
    }

    /// Answers `head` with `status` before its end and closes the connection once the answer
    /// is written (the rest of the request is not read).
    private func reject(_ head: HTTPRequestHead, _ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        logger.debug("closing metrics connection", metadata: ["reason": "\(status.code) \(status.reasonPhrase)"])
        request = nil
        rejected = true
        let text = status == .expectationFailed ? "only Expect: 100-continue\n" : "request body over \(connection.limits.maximumMessageSize) bytes\n"
        write(status, body: ByteBuffer(string: text), headers: HTTPHeaders(), for: head, keepAlive: false, context: context)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        var body: ByteBuffer?
        var buffer: ConnectionLedger.BufferID?
        let path = HTTPRequestTarget.path(of: head.uri)
        if path == nil {
            status = .badRequest
            body = ByteBuffer(string: "a request target is /metrics or http://host:port/metrics\n")
        } else if path != "/metrics" {
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
        write(status, body: body, headers: headers, buffer: buffer, for: head, keepAlive: head.isKeepAlive && !expired, context: context)
    }

    /// Writes a whole response to `head`, its body accounted in the registry under `buffer`
    /// (nil: a small text of its own), and closes the connection after it unless `keepAlive`.
    private func write(
        _ status: HTTPResponseStatus, body: ByteBuffer?, headers: HTTPHeaders, buffer: ConnectionLedger.BufferID? = nil,
        for head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        var headers = headers
        if status != .ok { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body, head.method != .HEAD {
            // Error texts are small and not shared: their own buffer number, past any rendering's.
            let written = connection.queue(
                buffer ?? ConnectionLedger.BufferID.max - connection.id, bytes: body.readableBytes, on: context.eventLoop
            )
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: written)
        }
        let ended = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: ended)
        if !keepAlive {
            ended.futureResult.assumeIsolated().whenComplete { [self] _ in close(context: context) }
        }
    }

    /// Closes the connection, with a reset if `reset` (see `ConnectionRegistry.resetOnClose`).
    private func close(context: ChannelHandlerContext, reset: Bool = false) {
        guard !closing else { return }
        closing = true
        deadlines.cancel()
        if reset { ConnectionRegistry.resetOnClose(context.channel) }
        context.close(promise: nil)
    }
}

private extension HTTPRequestHead {
    /// The request has an `Expect` header to honour: HTTP/1.1 or later (RFC 9110 §10.1.1: an
    /// HTTP/1.0 request's is ignored).
    var hasExpectations: Bool {
        (version.major, version.minor) >= (1, 1) && !headers["expect"].isEmpty
    }
}

private extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: Substring {
        let isText: (Character) -> Bool = { $0 != " " && $0 != "\t" }
        guard let start = firstIndex(where: isText), let end = lastIndex(where: isText) else { return "" }
        return self[start...end]
    }
}
