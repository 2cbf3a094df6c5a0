import Logging
import NIOCore
import TWMonCore

/// Serves one control-socket connection on its event loop: splits the byte stream into Varlink
/// messages, answers each from the latest snapshot and writes the reply.
///
/// Abuse stays bounded: a message over the size limit or bytes that are not a Varlink call end
/// the connection; a connection that completes no request for `idleTimeout` is closed (a
/// client that connects and sleeps, or drips bytes); and while the peer does not read its
/// replies (the channel is not writable) no further request is answered or read, so at most
/// one reply beyond the write buffer's high-water mark is queued.
final class VarlinkConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let store: SnapshotStore
    private let clock: @Sendable () -> Double
    private let idleTimeout: TimeAmount
    private let logger: Logger
    private var framer: VarlinkFramer
    private var lastRequest = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// A read was asked for while the peer was not reading its replies.
    private var readDeferred = false
    private var closing = false
    /// The peer shut down its sending side.
    private var inputEnded = false
    /// Closing once the queued replies are written.
    private var closeQueued = false

    init(store: SnapshotStore, clock: @escaping @Sendable () -> Double, idleTimeout: TimeAmount, maximumMessageSize: Int, logger: Logger) {
        self.store = store
        self.clock = clock
        self.idleTimeout = idleTimeout
        self.logger = logger
        framer = VarlinkFramer(maximumMessageSize: maximumMessageSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startIdleCheck(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startIdleCheck(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
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
        if context.channel.isWritable {
            context.read()
        } else {
            readDeferred = true
        }
    }

    /// Answers the complete requests received so far, while the peer takes its replies.
    private func serve(context: ChannelHandlerContext) {
        var wrote = false
        var drained = false
        while !closing && context.channel.isWritable {
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
            lastRequest = .now()
            switch MonitorService.respond(to: message, snapshot: store.latest, now: clock()) {
            case .send(let reply):
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
                wrote = true
            case .none:
                break
            case .disconnect(let reason):
                logger.debug("closing control connection", metadata: ["reason": "\(reason)"])
                close(context: context)
            }
        }
        if wrote { context.flush() }
        if inputEnded && drained && !closing && !closeQueued {
            // Close once the replies are out (or at the idle deadline, should the peer never
            // read them).
            closeQueued = true
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { [self] _ in
                close(context: context)
            }
        }
        if readDeferred && !closing && context.channel.isWritable {
            readDeferred = false
            context.read()
        }
    }

    private func startIdleCheck(context: ChannelHandlerContext) {
        guard idleCheck == nil, !closing else { return }
        lastRequest = .now()
        scheduleIdleCheck(context: context, at: lastRequest + idleTimeout)
    }

    private func scheduleIdleCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            let due = lastRequest + idleTimeout
            if NIODeadline.now() >= due {
                logger.debug("closing idle control connection")
                close(context: context)
            } else {
                scheduleIdleCheck(context: context, at: due)
            }
        }
    }

    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        idleCheck?.cancel()
        idleCheck = nil
        context.close(promise: nil)
    }
}
