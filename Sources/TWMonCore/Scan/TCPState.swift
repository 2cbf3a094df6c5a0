/// A TCP socket state, numbered as the kernel numbers it in `/proc/net/tcp` (`st`) and in
/// `inet_diag` (`idiag_state`).
public enum TCPState: UInt8, CaseIterable, Sendable, Hashable, Comparable {
    case established = 0x01
    case synSent = 0x02
    case synRecv = 0x03
    case finWait1 = 0x04
    case finWait2 = 0x05
    case timeWait = 0x06
    case close = 0x07
    case closeWait = 0x08
    case lastAck = 0x09
    case listen = 0x0A
    case closing = 0x0B
    case newSynRecv = 0x0C

    /// The kernel's name for the state, as `ss` and `/proc` documentation print it.
    public var name: String {
        switch self {
        case .established: "ESTABLISHED"
        case .synSent: "SYN_SENT"
        case .synRecv: "SYN_RECV"
        case .finWait1: "FIN_WAIT1"
        case .finWait2: "FIN_WAIT2"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        case .newSynRecv: "NEW_SYN_RECV"
        }
    }

    /// Looks a state up by its exact kernel name (`TIME_WAIT`), as the Varlink interface
    /// documents it; nil for any other spelling.
    public init?(name: String) {
        guard let state = TCPState.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }

    /// Looks a state up as an operator may type it: any case, `-` for `_` (`time-wait`).
    public init?(typedName: String) {
        self.init(name: String(typedName.uppercased().map { $0 == "-" ? "_" : $0 }))
    }

    public static func < (lhs: TCPState, rhs: TCPState) -> Bool { lhs.rawValue < rhs.rawValue }
}
