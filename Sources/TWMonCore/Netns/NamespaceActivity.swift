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
        let sockstatBytes = Array(sockstat.utf8), snmpBytes = Array(snmp.utf8)
        let parsed = sockstatBytes.withUnsafeBytes { sockstat in
            snmpBytes.withUnsafeBytes { snmp in
                Result { () throws(KernelValueError) in
                    try parse(sockstat: sockstat, snmp: snmp, sockstatSource: sockstatSource, snmpSource: snmpSource)
                }
            }
        }
        return try parsed.get()
    }

    /// `parse(sockstat:snmp:…)` on the files' bytes as read. Bytes, not `String`: this runs for
    /// every namespace at every scan, and splitting the 1.5 KB of snmp as text took a third of
    /// a pass over 100 idle namespaces (perf, release build).
    public static func parse(
        sockstat: UnsafeRawBufferPointer, snmp: UnsafeRawBufferPointer, sockstatSource: String = "sockstat", snmpSource: String = "snmp"
    ) throws(KernelValueError) -> NamespaceActivity {
        let text = KernelText(sockstat)
        guard let line = text.line(startingWith: tcpSockstatPrefix) else {
            throw KernelValueError(source: sockstatSource, text: "", reason: "no TCP: line with inuse and tw")
        }
        var inUse: Int?, timeWait: Int?
        var previous: Range<Int>?
        for word in text.words(in: line) {
            if let name = previous {
                if text.equals(name, inUseName) {
                    inUse = try text.count(word, limit: KernelCount.range.upperBound) { sockstatSource + ": inuse" }
                } else if text.equals(name, timeWaitName) {
                    timeWait = try text.count(word, limit: KernelCount.range.upperBound) { sockstatSource + ": tw" }
                }
            }
            previous = word
        }
        guard let inUse, let timeWait else {
            throw KernelValueError(source: sockstatSource, text: "", reason: "no TCP: line with inuse and tw")
        }
        return NamespaceActivity(inUse: inUse, timeWait: timeWait, tcpCounters: try tcpCounters(KernelText(snmp), source: snmpSource))
    }

    private static let tcpSockstatPrefix = Array("TCP: ".utf8), tcpSnmpPrefix = Array("Tcp: ".utf8)
    private static let inUseName = Array("inuse".utf8), timeWaitName = Array("tw".utf8)
    private static let tcpCounterBytes = tcpCounterNames.map { Array($0.utf8) }

    /// The `tcpCounterNames` values of the `Tcp:` lines of snmp.
    private static func tcpCounters(_ text: KernelText, source: String) throws(KernelValueError) -> [Int] {
        guard let names = text.line(startingWith: tcpSnmpPrefix),
              let values = text.line(startingWith: tcpSnmpPrefix, after: names.upperBound)
        else { throw KernelValueError(source: source, text: "", reason: "no Tcp: lines with \(tcpCounterNames.joined(separator: ", "))") }
        let nameWords = text.words(in: names), valueWords = text.words(in: values)
        guard nameWords.count == valueWords.count else {
            throw KernelValueError(source: "\(source): Tcp", text: "\(nameWords.count - 1) names, \(valueWords.count - 1) values")
        }
        var counters = [Int](repeating: -1, count: tcpCounterBytes.count)
        for (name, value) in zip(nameWords.dropFirst(), valueWords.dropFirst()) {
            guard let index = tcpCounterBytes.firstIndex(where: { text.equals(name, $0) }) else { continue }
            counters[index] = try text.count(value, limit: NetstatParser.largestCounter) { "\(source): Tcp \(tcpCounterNames[index])" }
        }
        guard !counters.contains(-1) else {
            throw KernelValueError(source: source, text: "", reason: "no Tcp: lines with \(tcpCounterNames.joined(separator: ", "))")
        }
        return counters
    }
}

/// Lines and blank-separated words of a small /proc file, as byte ranges.
private struct KernelText {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The first line at or after `start` that begins with `prefix`, without its newline.
    func line(startingWith prefix: [UInt8], after start: Int = 0) -> Range<Int>? {
        var lineStart = start
        while lineStart < bytes.count {
            var end = lineStart
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end - lineStart >= prefix.count && prefix.indices.allSatisfy({ bytes[lineStart + $0] == prefix[$0] }) {
                return lineStart..<end
            }
            lineStart = end + 1
        }
        return nil
    }

    /// The words of `line`, split at blanks.
    func words(in line: Range<Int>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var index = line.lowerBound
        while index < line.upperBound {
            while index < line.upperBound && bytes[index] == UInt8(ascii: " ") { index += 1 }
            let start = index
            while index < line.upperBound && bytes[index] != UInt8(ascii: " ") { index += 1 }
            if index > start { words.append(start..<index) }
        }
        return words
    }

    func equals(_ word: Range<Int>, _ text: [UInt8]) -> Bool {
        word.count == text.count && text.indices.allSatisfy { bytes[word.lowerBound + $0] == text[$0] }
    }

    /// The decimal count `word`, at most `limit`; anything else is an error naming `source()`.
    func count(_ word: Range<Int>, limit: Int, source: () -> String) throws(KernelValueError) -> Int {
        var value = 0
        for index in word {
            let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit), value <= (limit - digit) / 10 else {
                throw KernelValueError(source: source(), text: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[word]), as: UTF8.self))
            }
            value = value * 10 + digit
        }
        return value
    }
}
