/// Where the metrics endpoint listens when twmond binds it itself (`metrics.listen`):
/// `A.B.C.D:PORT` or `[IPv6]:PORT`, the address numeric (no host names: nothing to resolve at
/// start) and the port from 1 to 65535, written canonically.
public struct MetricsListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The numeric address, without brackets.
    public var host: String
    /// The TCP port.
    public var port: UInt16

    /// Parses `text`; nil when it is not a numeric address and a port.
    public init?(_ text: String) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard Self.isIPv6(host) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard Self.isIPv4(host) else { return nil }
        }
        guard let port = ConfigurationParser.canonicalPort(String(portText)) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Four decimal numbers 0 … 255 without leading zeros, separated by dots.
    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy(\.isASCIIDigit) && (part.count == 1 || part.first != "0")
                && Int(part).map { $0 <= 255 } == true
        }
    }

    /// Hex groups of at most four digits separated by colons, with at most one `::`, eight
    /// groups without it (fewer with it), or a trailing dotted IPv4 address in place of two.
    static func isIPv6(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.count <= 45 else { return false }
        var groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var width = 0
        if let last = groups.last, last.contains(".") {
            guard isIPv4(last) else { return false }
            groups.removeLast()
            groups.append("0")
            width = 1
        }
        let bytes = Array(text.utf8)
        let compressed = zip(bytes, bytes.dropFirst()).count { $0 == UInt8(ascii: ":") && $1 == UInt8(ascii: ":") }
        guard compressed <= 1 else { return false }
        let nonEmpty = groups.filter { !$0.isEmpty }
        guard nonEmpty.allSatisfy({ $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return false }
        let count = nonEmpty.count + width
        if compressed == 1 { return count <= 7 }
        return count == 8 && groups.count == nonEmpty.count
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
