import NIOCore

/// Sits on the listening channel: holds back accepting while the `ConnectionRegistry` says
/// connections are being refused or evicted faster than their churn rate, so a client that
/// reconnects in a loop costs the daemon a bounded number of accepts a second. Connections
/// wait in the listen backlog meanwhile, in order. Also swallows the error of each refused
/// connection (an expected outcome, already accounted and logged by the registry).
final class AcceptThrottleHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias OutboundIn = Never

    private let registry: ConnectionRegistry
    private var readScheduled = false

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func read(context: ChannelHandlerContext) {
        guard !readScheduled else { return }
        guard let delay = registry.acceptDelay() else {
            context.read()
            return
        }
        readScheduled = true
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            readScheduled = false
            read(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? ConnectionServerError, error == .refused { return }
        context.fireErrorCaught(error)
    }
}
