/// Reads counters from `/proc/net/netstat` and `/proc/net/snmp` text: a line of names (`TcpExt:
/// SyncookiesSent …`, `Tcp: RtoAlgorithm …`) followed by a line of values with the same prefix.
public enum NetstatParser {
    /// The largest counter accepted: the kernel's are `unsigned long`, but a count this large
    /// (2⁶²) is not one a running kernel reaches; beyond it the file is not what it seems.
    public static let largestCounter = 1 << 62

    /// `TCPTimeWaitOverflow` and `TWRecycled`, or nil when the `TcpExt` lines or either field
    /// are absent. A value that is not a decimal count, or lines of different lengths, is an
    /// error naming `source`.
    public static func timeWaitEvents(in text: String, source: String = "netstat") throws(KernelValueError) -> TimeWaitEventCounters? {
        guard let values = try counters(["TCPTimeWaitOverflow", "TWRecycled"], of: "TcpExt", in: text, source: source) else { return nil }
        return TimeWaitEventCounters(overflow: values[0], recycled: values[1])
    }

    /// The values of `names` (in their order) from the `GROUP:` lines of names and values, or
    /// nil when the lines or any of the names are absent. Only the named values are read, each
    /// a count from 0 to `largestCounter` (so a signed field such as snmp's `MaxConn -1` may sit
    /// beside them); lines of different lengths, or a value that is no count, is an error
    /// naming `source` and the field.
    public static func counters(_ names: [String], of group: String, in text: String, source: String) throws(KernelValueError) -> [Int]? {
        let prefix = group + ":"
        let lines = text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
        guard lines.count >= 2 else { return nil }
        let found = lines[0].split(separator: " ").dropFirst()
        let values = lines[1].split(separator: " ").dropFirst()
        guard found.count == values.count else {
            throw KernelValueError(source: "\(source): \(group)", text: "\(found.count) names, \(values.count) values")
        }
        var result = [Int?](repeating: nil, count: names.count)
        for (name, value) in zip(found, values) {
            guard let index = names.firstIndex(where: { $0 == name }) else { continue }
            result[index] = try counter(value, source: "\(source): \(group) \(name)")
        }
        guard result.allSatisfy({ $0 != nil }) else { return nil }
        return result.map { $0! }
    }

    static func counter(_ text: Substring, source: String) throws(KernelValueError) -> Int {
        var value = 0
        for byte in text.utf8 {
            let digit = Int(byte) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit), value <= (largestCounter - digit) / 10 else {
                throw KernelValueError(source: source, text: String(text))
            }
            value = value * 10 + digit
        }
        guard !text.isEmpty else { throw KernelValueError(source: source, text: "") }
        return value
    }
}
