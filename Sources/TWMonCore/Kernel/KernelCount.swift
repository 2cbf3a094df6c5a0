/// A count the kernel prints as a decimal `int` (`tw` in /proc/net/sockstat, an integer
/// /proc/sys setting such as `net.ipv4.tcp_max_tw_buckets`), read strictly.
///
/// Only ASCII digits are accepted, and only values the kernel's `int` can hold (0 ... 2³¹−1):
/// a sign, blanks inside, a number beyond that range or anything else is a `KernelValueError`.
/// Figures that pass can be multiplied by 100 or by a ratio without overflow.
public enum KernelCount {
    /// The values accepted.
    public static let range = 0...Int(Int32.max)

    /// The value of `text` (surrounding blanks and newlines allowed); `source` names where it
    /// was read in the error.
    public static func parse(_ text: Substring, source: String) throws(KernelValueError) -> Int {
        var trimmed = text
        while let first = trimmed.utf8.first, isBlank(first) { trimmed = trimmed.dropFirst() }
        while let last = trimmed.utf8.last, isBlank(last) { trimmed = trimmed.dropLast() }
        var value = 0
        for byte in trimmed.utf8 {
            let digit = Int(byte) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit), value <= (range.upperBound - digit) / 10 else {
                throw KernelValueError(source: source, text: String(trimmed))
            }
            value = value * 10 + digit
        }
        guard !trimmed.isEmpty else { throw KernelValueError(source: source, text: "") }
        return value
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
    }
}

/// A kernel figure that is not a count the kernel could print.
public struct KernelValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where it was read (`/proc/net/sockstat: tw`).
    public var source: String
    /// The text found without surrounding blanks, cut to 40 bytes.
    public var text: String
    /// What is wrong with it, when not that it is no count: `first port 60999 is above last port 32768`.
    public var reason: String?

    public init(source: String, text: String, reason: String? = nil) {
        self.source = source
        self.text = String(decoding: text.utf8.prefix(40), as: UTF8.self)
        self.reason = reason
    }

    public var description: String {
        "\(source) is \"\(StatusLine.oneLine(text))\", \(reason ?? "not a count from 0 to \(KernelCount.range.upperBound)")"
    }
}
