/// What a network namespace's TCP has done, as far as O(1) kernel figures tell: its socket
/// counts (`/proc/PID/net/sockstat`) and the packets its interfaces sent and received
/// (`/proc/PID/net/dev`). Reading both costs microseconds; reading the namespace's table costs
/// a walk of the host's whole established hash.
///
/// Two equal activities mean no TCP socket of the namespace changed state in between, so a
/// table read at the first still holds: every state change of a full socket sends or receives
/// a segment, which every interface counts as a packet (loopback included, whatever
/// offloading merges: a SYN, FIN or RST is a packet of its own), or hashes or unhashes a socket
/// (`inuse`), or makes or ends a TIME_WAIT socket (`tw`). Other traffic (UDP, ARP) moves the
/// packet counts too and only costs a full read. The exceptions, all of which settle at the
/// namespace's next counted change: a FIN queued behind a closed send window (ESTABLISHED →
/// FIN_WAIT1, CLOSE_WAIT → LAST_ACK before the FIN leaves), and a SYN_RECV request dropped
/// after its last SYN-ACK retransmission (request sockets are not in `inuse`).
///
/// `dev` rather than `snmp`'s `Tcp:` counters: the kernel prints snmp's six groups of counters,
/// each summed over every CPU, for every read (13.6 µs here against 2.8 µs for `dev` of a
/// namespace with loopback alone), and this runs for every namespace at every scan.
public struct NamespaceActivity: Sendable, Equatable {
    /// TCP sockets hashed in the namespace (listening or connected; not TIME_WAIT): `inuse`.
    public var inUse: Int
    /// TIME_WAIT sockets of the namespace: `tw`.
    public var timeWait: Int
    /// Received and transmitted packets of each interface of `dev`, in its order (two values
    /// an interface): an interface that comes or goes changes the count, too.
    public var packets: [Int]

    public init(inUse: Int, timeWait: Int, packets: [Int]) {
        self.inUse = inUse
        self.timeWait = timeWait
        self.packets = packets
    }

    /// True when the namespace holds no TCP socket a table could show: no hashed socket and no
    /// TIME_WAIT. (A SYN_RECV request needs a listener, which is counted.)
    public var isEmpty: Bool { inUse == 0 && timeWait == 0 }

    /// Reads the activity from the text of a namespace's `sockstat` and `dev` files, named in
    /// errors by `sockstatSource` and `devSource`. Throws when the `TCP:` line lacks `inuse` or
    /// `tw`, when an interface line of `dev` lacks its packet counts, and when a value is not a
    /// count the kernel prints (`inuse` and `tw` 0 ... 2³¹−1, packets 0 ... 2⁶²).
    public static func parse(
        sockstat: String, dev: String, sockstatSource: String = "sockstat", devSource: String = "dev"
    ) throws(KernelValueError) -> NamespaceActivity {
        let sockstatBytes = Array(sockstat.utf8), devBytes = Array(dev.utf8)
        let parsed = sockstatBytes.withUnsafeBytes { sockstat in
            devBytes.withUnsafeBytes { dev in
                Result { () throws(KernelValueError) in
                    try parse(sockstat: sockstat, dev: dev, sockstatSource: sockstatSource, devSource: devSource)
                }
            }
        }
        return try parsed.get()
    }

    /// `parse(sockstat:dev:…)` on the files' bytes as read. Bytes, not `String`: this runs for
    /// every namespace at every scan.
    public static func parse(
        sockstat: UnsafeRawBufferPointer, dev: UnsafeRawBufferPointer, sockstatSource: String = "sockstat", devSource: String = "dev"
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
        return NamespaceActivity(inUse: inUse, timeWait: timeWait, packets: try packets(KernelText(dev), source: devSource))
    }

    private static let tcpSockstatPrefix = Array("TCP: ".utf8)
    private static let inUseName = Array("inuse".utf8), timeWaitName = Array("tw".utf8)
    /// Of the 16 counts after an interface's `name:`, received packets are the 2nd, transmitted
    /// the 10th.
    private static let receivedPackets = 1, transmittedPackets = 9, countsPerInterface = 16

    /// The received and transmitted packets of every interface line of `dev` (those after its
    /// two header lines, `Inter-|` and ` face |`).
    private static func packets(_ text: KernelText, source: String) throws(KernelValueError) -> [Int] {
        guard let header = text.line(startingWith: []), let columns = text.line(startingWith: [], after: header.upperBound + 1) else {
            throw KernelValueError(source: source, text: "", reason: "no header lines")
        }
        var packets: [Int] = []
        var start = columns.upperBound + 1
        while let line = text.line(startingWith: [], after: start), !line.isEmpty {
            start = line.upperBound + 1
            guard let colon = text.index(of: UInt8(ascii: ":"), in: line) else {
                throw KernelValueError(source: source, text: text.string(line), reason: "an interface line without \"name:\"")
            }
            let counts = text.words(in: (colon + 1)..<line.upperBound)
            guard counts.count >= countsPerInterface else {
                throw KernelValueError(source: source, text: text.string(line), reason: "an interface line with \(counts.count) counts, not \(countsPerInterface)")
            }
            for index in [receivedPackets, transmittedPackets] {
                packets.append(try text.count(counts[index], limit: NetstatParser.largestCounter) { "\(source): \(text.string(line.lowerBound..<colon).trimmingSpaces) packets" })
            }
        }
        return packets
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

    /// The first `byte` in `range`.
    func index(of byte: UInt8, in range: Range<Int>) -> Int? {
        range.first { bytes[$0] == byte }
    }

    /// `range` as text (for errors).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
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

private extension String {
    /// Without leading and trailing blanks.
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
