import Glibc
import Logging
import NIOCore
import Synchronization
import TWMonCore

/// A served socket's open connections (the control socket's, the metrics endpoint's), with
/// the fairness rules of `ConnectionLedger` applied: admits a connection by its peer (UID or
/// remote address), evicting an idle one of the same peer when that peer is full, or an idle
/// one of the peer holding the most when all are taken; accounts the output queued for
/// each, drops the slowest readers when the total passes its bound, throttles accepting while
/// connections are being refused or evicted (`ChurnThrottle`), and closes everything at
/// shutdown. Refusals and evictions are logged a few times per offender (`RefusalReporter`),
/// never once per connection.
///
/// Connections it throws out — evicted, refused, dropped for not reading — are closed with a
/// reset (`SO_LINGER` 0, `closeWithReset`): the close is twmond's, and a graceful one would
/// leave a TIME_WAIT socket on twmond's own port for each, thousands a minute under a
/// reconnect loop.
final class ConnectionRegistry: Sendable {
    private struct State {
        var ledger: ConnectionLedger
        var throttle: ChurnThrottle
        var refusals: RefusalReporter<ConnectionPeer>
        var evictions: RefusalReporter<ConnectionPeer>
        /// Evictions because all connections were taken, reported for all peers together: the
        /// victims are whichever peers held the most connections, as many as an
        /// adversary has addresses, and one line each would flood the log.
        var displacements: RefusalReporter<AllPeers>
        var open: [ConnectionLedger.ID: any Channel] = [:]
        var nextID: ConnectionLedger.ID = 0
        var closed = false
    }

    /// What happened to a new connection.
    private enum Decision {
        case admitted(ConnectionLedger.ID, evicted: (any Channel)?, report: Report?)
        case refused(report: RefusalReporter<ConnectionPeer>.Report?)
    }

    /// Why a connection was evicted, for its log line.
    private enum Report {
        /// The new connection's peer was at its own limit.
        case peerFull(RefusalReporter<ConnectionPeer>.Report)
        /// Every connection was taken; an idle one of `victim`, the peer holding the most, went.
        case allTaken(RefusalReporter<AllPeers>.Report, victim: ConnectionPeer)
    }

    /// The one offender of `displacements`.
    private enum AllPeers: Hashable, Sendable {
        case all
    }

    /// The limits in force.
    let limits: ConnectionLedger.Limits
    private let state: Mutex<State>
    private let started = ContinuousClock.now
    private let logger: Logger
    private let name: String

    /// `name` names the socket in log lines (`control socket`, `metrics endpoint`).
    init(name: String, limits: ConnectionLimits, logger: Logger) {
        self.name = name
        self.limits = limits.ledgerLimits
        self.logger = logger
        let logInterval = limits.refusalLogInterval
        state = Mutex(State(
            ledger: ConnectionLedger(limits: limits.ledgerLimits),
            throttle: ChurnThrottle(ratePerSecond: limits.churnPerSecond, burst: limits.churnPerSecond / 4),
            refusals: RefusalReporter(interval: logInterval), evictions: RefusalReporter(interval: logInterval),
            displacements: RefusalReporter(interval: logInterval)
        ))
    }

    /// Monotonic seconds since the registry was made.
    private var now: Double {
        (ContinuousClock.now - started).inSeconds
    }

    /// Admits `channel` from `peer` (a UID, or a remote address), or refuses it (nil: the
    /// caller, on the channel's event loop, closes it; a reset is already asked for). An
    /// admitted channel leaves the registry when it closes.
    func admit(_ channel: any Channel, peer: ConnectionPeer) -> ConnectionLedger.ID? {
        let now = now
        let decision = state.withLock { state -> Decision in
            guard !state.closed else { return .refused(report: nil) }
            state.nextID += 1
            let id = state.nextID
            switch state.ledger.admit(id, peer: peer) {
            case .admit:
                state.open[id] = channel
                return .admitted(id, evicted: nil, report: nil)
            case .admitEvicting(let victim):
                state.open[id] = channel
                state.throttle.charge(now: now)
                return .admitted(id, evicted: state.open.removeValue(forKey: victim), report: state.evictions.refused(peer, now: now).map(Report.peerFull))
            case .admitEvictingAcrossPeers(let victim, let victimPeer):
                state.open[id] = channel
                state.throttle.charge(now: now)
                let report = state.displacements.refused(.all, now: now).map { Report.allTaken($0, victim: victimPeer) }
                return .admitted(id, evicted: state.open.removeValue(forKey: victim), report: report)
            case .refuse:
                state.throttle.charge(now: now)
                return .refused(report: state.refusals.refused(peer, now: now))
            }
        }
        switch decision {
        case .admitted(let id, let evicted, let report):
            if let evicted { Self.closeWithReset(evicted) }
            switch report {
            case .peerFull(let report):
                logger.warning("\(name): a peer is at its connection limit; its least recently active idle connections make room for its new ones", metadata: fields(of: report.offender).merging(["evicted": "\(report.refused)"]) { $1 })
            case .allTaken(let report, let victim):
                // The peer named is the one whose connection went last.
                logger.warning("\(name): all connections are taken; idle ones of the peers holding the most make room for new ones", metadata: fields(of: victim).merging([
                    "evicted": "\(report.refused)", "total_limit": "\(limits.totalLimit)",
                ]) { $1 })
            case nil:
                break
            }
            channel.closeFuture.whenComplete { [self] _ in
                state.withLock { state in
                    state.ledger.remove(id)
                    state.open.removeValue(forKey: id)
                }
            }
            return id
        case .refused(let report):
            Self.resetOnClose(channel)
            if let report {
                logger.warning("\(name): connection limit reached, refusing new connections of a peer", metadata: fields(of: report.offender).merging([
                    "refused": "\(report.refused)", "total_limit": "\(limits.totalLimit)",
                ]) { $1 })
            }
            return nil
        }
    }

    /// The log fields naming `peer` and its limit: `uid` and `per_uid_limit` (TWMON_UID and
    /// TWMON_PER_UID_LIMIT in the journal), or `address` and `per_address_limit`.
    private func fields(of peer: ConnectionPeer) -> Logger.Metadata {
        switch peer {
        case .uid(let uid): ["uid": "\(uid)", "per_uid_limit": "\(limits.perPeerLimit)"]
        case .address(let address): ["address": "\(address)", "per_address_limit": "\(limits.perPeerLimit)"]
        }
    }

    /// Makes `channel`'s close a reset (`SO_LINGER` on, 0 s): no FIN handshake and no TIME_WAIT
    /// socket left on the server's port; unsent output is dropped. (A Unix socket takes the
    /// option and has no TIME_WAIT to avoid.) Done at once on the channel's event loop.
    @discardableResult
    static func resetOnClose(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let socket = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededVoidFuture() }
        return socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
    }

    /// Closes `channel` with a reset (`resetOnClose`), from any thread.
    static func closeWithReset(_ channel: any Channel) {
        resetOnClose(channel).whenComplete { _ in channel.close(promise: nil) }
    }

    /// `id` completed a request: it is its peer's most recently active connection.
    func touch(_ id: ConnectionLedger.ID) {
        state.withLock { $0.ledger.touch(id) }
    }

    /// `id` queues reply buffer `buffer` of `bytes`; the slowest readers are closed if the
    /// output queued would pass the bound.
    func queue(_ buffer: ConnectionLedger.BufferID, bytes: Int, for id: ConnectionLedger.ID) {
        let dropped = state.withLock { state in
            state.ledger.queue(buffer, bytes: bytes, for: id).compactMap { state.open.removeValue(forKey: $0) }
        }
        for channel in dropped { Self.closeWithReset(channel) }
    }

    /// `bytes` queued for `id` were written, or dropped with its connection.
    func written(_ bytes: Int, for id: ConnectionLedger.ID) {
        state.withLock { $0.ledger.written(bytes, for: id) }
    }

    /// How long to wait before accepting more connections: nil while churn is within its rate.
    func acceptDelay() -> TimeAmount? {
        let now = now
        let seconds = state.withLock { $0.throttle.delay(now: now) }
        return seconds > 0 ? TimeAmount(.seconds(min(seconds, 1))) : nil
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
