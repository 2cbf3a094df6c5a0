import NIOCore
import Synchronization

/// The control socket's open connections: admits up to a limit and closes them all at shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    /// Connections served at once.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Admits `channel` unless the limit is reached or the registry was closed; an admitted
    /// channel leaves the registry when it closes.
    func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state in
            guard !state.closed, state.open.count < limit else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [self] _ in
                _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return admitted
    }

    /// Refuses new connections and closes the open ones.
    func closeAll() async {
        let channels = state.withLock { state in
            state.closed = true
            return Array(state.open.values)
        }
        for channel in channels {
            try? await channel.close()
        }
    }
}
