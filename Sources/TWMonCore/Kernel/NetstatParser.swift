/// Reads the TIME_WAIT event counters from `/proc/net/netstat` text: a `TcpExt:` line of
/// names followed by a `TcpExt:` line of values.
public enum NetstatParser {
    /// The largest counter accepted: the kernel's are `unsigned long`, but a count this large
    /// (2⁶²) is not one a running kernel reaches; beyond it the file is not what it seems.
    public static let largestCounter = 1 << 62

    /// `TCPTimeWaitOverflow` and `TWRecycled`, or nil when the `TcpExt` lines or either field
    /// are absent. A value that is not a decimal count, or lines of different lengths, is an
    /// error naming `source`.
    public static func timeWaitEvents(in text: String, source: String = "netstat") throws(KernelValueError) -> TimeWaitEventCounters? {
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("TcpExt:") }
        guard lines.count >= 2 else { return nil }
        let names = lines[0].split(separator: " ").dropFirst()
        let values = lines[1].split(separator: " ").dropFirst()
        guard names.count == values.count else {
            throw KernelValueError(source: "\(source): TcpExt", text: "\(names.count) names, \(values.count) values")
        }
        var overflow: Int?, recycled: Int?
        for (name, value) in zip(names, values) {
            switch name {
            case "TCPTimeWaitOverflow": overflow = try counter(value, source: "\(source): TcpExt TCPTimeWaitOverflow")
            case "TWRecycled": recycled = try counter(value, source: "\(source): TcpExt TWRecycled")
            default: continue
            }
        }
        guard let overflow, let recycled else { return nil }
        return TimeWaitEventCounters(overflow: overflow, recycled: recycled)
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
