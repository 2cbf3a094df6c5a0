/// Reads `net.ipv4.ip_local_port_range` (`32768\t60999`) and `ip_local_reserved_ports`
/// (`8080,9000-9010`, or empty) into the usable ephemeral range.
public enum PortRangeParser {
    /// The range without the reserved ports inside it. Ports must be 1 ... 65535 and the
    /// range's low end not above its high end; anything else is an error naming the file.
    public static func range(_ rangeText: String, reserved reservedText: String?, rangeSource: String, reservedSource: String) throws(KernelValueError) -> EphemeralPortRange {
        let words = rangeText.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard words.count == 2 else { throw KernelValueError(source: rangeSource, text: rangeText) }
        let low = try port(words[0], source: rangeSource), high = try port(words[1], source: rangeSource)
        try inOrder(low, high, text: words.joined(separator: " "), source: rangeSource)
        var reserved = [Bool](repeating: false, count: Int(high) - Int(low) + 1)
        if let reservedText {
            for item in reservedText.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
                let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count == 1 || bounds.count == 2 else { throw KernelValueError(source: reservedSource, text: String(item)) }
                let first = try port(bounds[0], source: reservedSource)
                let last = bounds.count == 2 ? try port(bounds[1], source: reservedSource) : first
                try inOrder(first, last, text: String(item), source: reservedSource)
                let from = max(first, low), to = min(last, high)
                if from <= to {
                    for reservedPort in from...to { reserved[Int(reservedPort - low)] = true }
                }
            }
        }
        return EphemeralPortRange(low: low, high: high, reserved: reserved.count(where: { $0 }))
    }

    private static func port(_ text: Substring, source: String) throws(KernelValueError) -> UInt16 {
        let value = try KernelCount.parse(text, source: source)
        guard value >= 1, value <= 65_535 else { throw KernelValueError(source: source, text: String(text), reason: "not a port from 1 to 65535") }
        return UInt16(value)
    }

    /// Throws unless `first ≤ last`, saying which is which.
    private static func inOrder(_ first: UInt16, _ last: UInt16, text: String, source: String) throws(KernelValueError) {
        guard first <= last else {
            throw KernelValueError(source: source, text: text, reason: "first port \(first) is above last port \(last)")
        }
    }
}
