/// What a network namespace's TCP has done, as far as O(1) kernel figures tell: its socket
/// counts (`/proc/PID/net/sockstat`) and its TCP segment and connection counters
/// (`/proc/PID/net/snmp`). Reading both costs microseconds; reading the namespace's table costs
/// a walk of the host's whole established hash.
///
/// Two equal activities mean no TCP socket of the namespace changed state in between, so a
/// table read at the first still holds: every state change of a full socket sends or receives
/// a segment (`InSegs`, `OutSegs`, `OutRsts`, or `RetransSegs` for a retransmitted FIN or
/// SYN-ACK), or hashes or unhashes a socket (`inuse`), or makes or ends a TIME_WAIT socket
/// (`tw`). The exceptions, all of which settle at the namespace's next counted change: a FIN
/// queued behind a closed send window (ESTABLISHED → FIN_WAIT1, CLOSE_WAIT → LAST_ACK before the
/// FIN leaves), and a SYN_RECV request dropped after its last SYN-ACK retransmission (request
/// sockets are not in `inuse`).
public struct NamespaceActivity: Sendable, Equatable {
    /// TCP sockets hashed in the namespace (listening or connected; not TIME_WAIT): `inuse`.
    public var inUse: Int
    /// TIME_WAIT sockets of the namespace: `tw`.
    public var timeWait: Int
    /// The values of `tcpCounterNames` from the `Tcp:` lines, in that order.
    public var tcpCounters: [Int]

    /// The `Tcp:` counters of /proc/net/snmp read: all that move when a socket changes state
    /// (`MaxConn`, the only signed one, and the RTO constants never do).
    public static let tcpCounterNames = [
        "ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab",
        "InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts",
    ]

    public init(inUse: Int, timeWait: Int, tcpCounters: [Int]) {
        self.inUse = inUse
        self.timeWait = timeWait
        self.tcpCounters = tcpCounters
    }

    /// True when the namespace holds no TCP socket a table could show: no hashed socket and no
    /// TIME_WAIT. (A SYN_RECV request needs a listener, which is counted.)
    public var isEmpty: Bool { inUse == 0 && timeWait == 0 }

    /// The counter `name` (one of `tcpCounterNames`), or nil.
    public func tcpCounter(_ name: String) -> Int? {
        Self.tcpCounterNames.firstIndex(of: name).map { tcpCounters[$0] }
    }

    /// Reads the activity from the text of a namespace's `sockstat` and `snmp` files, named in
    /// errors by `sockstatSource` and `snmpSource`. Throws when the `TCP:` line lacks `inuse` or
    /// `tw`, when the `Tcp:` lines lack a counter or differ in length, and when a value is not a
    /// count the kernel prints (`inuse` and `tw` 0 ... 2³¹−1, the counters 0 ... 2⁶²).
    public static func parse(
        sockstat: String, snmp: String, sockstatSource: String = "sockstat", snmpSource: String = "snmp"
    ) throws(KernelValueError) -> NamespaceActivity {
        guard let inUse = try SockstatParser.tcpField("inuse", in: sockstat, source: sockstatSource),
              let timeWait = try SockstatParser.tcpField("tw", in: sockstat, source: sockstatSource)
        else { throw KernelValueError(source: sockstatSource, text: "", reason: "no TCP: line with inuse and tw") }
        guard let counters = try NetstatParser.counters(tcpCounterNames, of: "Tcp", in: snmp, source: snmpSource) else {
            throw KernelValueError(source: snmpSource, text: "", reason: "no Tcp: lines with \(tcpCounterNames.joined(separator: ", "))")
        }
        return NamespaceActivity(inUse: inUse, timeWait: timeWait, tcpCounters: counters)
    }
}
