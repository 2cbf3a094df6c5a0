/// The patterns of `[namespaces."PATTERN"]`: a namespace name where `*` stands for any run of
/// characters (none included) and `?` for one; everything else matches itself. Matching is
/// linear in the name for each `*` (a greedy match with one backtrack point).
public enum NamePattern {
    /// The longest pattern accepted, in bytes.
    public static let maximumLength = 255

    /// True when `pattern` matches the whole of `name`.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars), name = Array(name.unicodeScalars)
        var p = 0, n = 0
        var star: Int?, resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == "?" || (pattern[p] != "*" && pattern[p] == name[n]) {
                p += 1
                n += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                p += 1
                resume = n
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// What is wrong with `pattern` as a namespace pattern, or nil.
    public static func problem(with pattern: String) -> String? {
        if pattern.isEmpty { return "the pattern must not be empty" }
        if pattern.utf8.count > maximumLength { return "the pattern must be at most \(maximumLength) bytes" }
        if pattern.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return "the pattern must not contain control characters" }
        return nil
    }
}
