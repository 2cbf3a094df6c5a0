import Logging
import NIOCore
import TWMonCore

/// Serves one control-socket connection on its event loop: splits the byte stream into Varlink
/// messages, answers each from the latest snapshot and writes the reply.
///
/// Abuse stays bounded: a message over the size limit or bytes that are not a Varlink call end
/// the connection; a connection that completes no request for `idleTimeout` is closed (a
/// client that connects and sleeps, or drips bytes); one open for `lifetime` answers no further
/// request and is closed once its replies are written (a client calling now and then cannot
/// hold a connection forever); while the peer does not read its replies (the channel is not
/// writable) no further request is answered or read, so at most one reply beyond the write
/// buffer's high-water mark is queued, and that reply counts against the registry's bound on
/// all queued output (`ConnectionLimits`). Replies come from `SharedReplies`, one buffer for all who ask the same;
/// while a large one is encoded off the event loop, this connection's later requests wait.
final class VarlinkConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: ServedConnection
    private let replies: SharedReplies
    private let clock: @Sendable () -> Double
    private let logger: Logger
    private var framer: VarlinkFramer
    private let deadlines: ConnectionDeadlines
    /// A read was asked for while the peer was not reading its replies.
    private var readDeferred = false
    private var closing = false
    /// The peer shut down its sending side.
    private var inputEnded = false
    /// The connection outlived `lifetime`: no further request is answered.
    private var expired = false
    /// Closing once the queued replies are written.
    private var closeQueued = false
    /// A reply is being encoded off the event loop: later requests wait, in order.
    private var awaitingReply = false

    init(connection: ServedConnection, replies: SharedReplies, clock: @escaping @Sendable () -> Double, logger: Logger) {
        self.connection = connection
        self.replies = replies
        self.clock = clock
        self.logger = logger
        framer = VarlinkFramer(maximumMessageSize: connection.limits.maximumMessageSize)
        deadlines = ConnectionDeadlines(limits: connection.limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimers(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimers(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        deadlines.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, !expired else { return }
        framer.append(unwrapInboundIn(data).readableBytesView)
        serve(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { serve(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The peer finished sending: answer what it sent, then close.
        inputEnded = true
        serve(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("control connection failed", metadata: ["error": "\(error)"])
        close(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if expired { return }
        if context.channel.isWritable && !awaitingReply {
            context.read()
        } else {
            readDeferred = true
        }
    }

    /// Answers the complete requests received so far, while the peer takes its replies.
    private func serve(context: ChannelHandlerContext) {
        var wrote = false
        var drained = false
        while !closing && !expired && !awaitingReply && context.channel.isWritable {
            let message: ArraySlice<UInt8>
            do {
                guard let next = try framer.nextMessage() else {
                    drained = true
                    break
                }
                message = next
            } catch {
                logger.debug("closing control connection", metadata: ["reason": "\(error)"])
                close(context: context)
                break
            }
            deadlines.requestCompleted()
            connection.requestCompleted()
            switch MonitorService.parse(message) {
            case .call(let call) where call.oneway:
                break
            case .call(let call):
                switch replies.answer(call, now: clock(), on: context.eventLoop) {
                case .ready(let reply):
                    write(reply, context: context)
                    wrote = true
                case .pending(let encoding):
                    awaitingReply = true
                    encoding.assumeIsolated().whenComplete { [self] result in
                        awaitingReply = false
                        guard !closing, case .success(let reply) = result else {
                            close(context: context)
                            return
                        }
                        write(reply, context: context)
                        context.flush()
                        serve(context: context)
                    }
                }
            case .respond(.send(let reply)):
                write(replies.unshared(reply), context: context)
                wrote = true
            case .respond(.none):
                break
            case .respond(.disconnect(let reason)):
                logger.debug("closing control connection", metadata: ["reason": "\(reason)"])
                close(context: context)
            }
        }
        if wrote { context.flush() }
        if inputEnded && drained && !closing {
            // Close once the replies are out (or at the idle deadline, should the peer never
            // read them).
            closeWhenWritten(context: context)
        }
        if readDeferred && !closing && !expired && !awaitingReply && context.channel.isWritable {
            readDeferred = false
            context.read()
        }
    }

    /// Writes `reply`, accounted in the registry until it is written or dropped.
    private func write(_ reply: SharedReplies.Reply, context: ChannelHandlerContext) {
        let written = connection.queue(reply.buffer, bytes: reply.bytes.readableBytes, on: context.eventLoop)
        context.write(wrapOutboundOut(reply.bytes), promise: written)
    }

    private func closeWhenWritten(context: ChannelHandlerContext) {
        guard !closeQueued else { return }
        closeQueued = true
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { [self] _ in
            close(context: context)
        }
    }

    private func startTimers(context: ChannelHandlerContext) {
        guard !deadlines.isStarted, !closing else { return }
        deadlines.start(on: context.eventLoop) { [self] in
            logger.debug("closing idle control connection")
            close(context: context)
        } onLifetimeEnd: { [self] in
            guard !closing else { return }
            logger.debug("closing control connection at the end of its lifetime")
            expired = true
            closeWhenWritten(context: context)
        }
    }

    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        deadlines.cancel()
        context.close(promise: nil)
    }
}
