/// The path of an HTTP/1.1 request target (RFC 9112 §3.2), as the metrics endpoint routes it:
/// the origin form (`/metrics?x`) and the absolute form a server must accept
/// (`http://127.0.0.1:19632/metrics?x`, scheme case-insensitive, `http` or `https`) both give
/// `/metrics`; an absolute form without a path gives `/`. The query is dropped. Anything else
/// (`*`, the authority form `host:port`, a relative path, another scheme) is nil: not a target
/// a GET can name.
public enum HTTPRequestTarget {
    public static func path(of target: String) -> Substring? {
        let withoutQuery = target[..<(target.firstIndex(of: "?") ?? target.endIndex)]
        if withoutQuery.hasPrefix("/") { return withoutQuery }
        guard let schemeEnd = withoutQuery.firstRange(of: "://"),
              ["http", "https"].contains(withoutQuery[..<schemeEnd.lowerBound].lowercased()) else { return nil }
        let rest = withoutQuery[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        // A host (and port) is there, without user information.
        guard slash > rest.startIndex, !rest[..<slash].contains("@") else { return nil }
        return slash == rest.endIndex ? "/" : rest[slash...]
    }
}
