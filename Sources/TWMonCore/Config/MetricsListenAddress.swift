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

    /// A dotted quad, as `IPAddress(text:)` reads it (no leading zeros).
    static func isIPv4(_ text: Substring) -> Bool { IPAddress(text: String(text))?.family == .ipv4 }

    /// IPv6 text, as `IPAddress(text:)` reads it.
    static func isIPv6(_ text: Substring) -> Bool { IPAddress(text: String(text))?.family == .ipv6 }
}
