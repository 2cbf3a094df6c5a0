/// Which network namespaces twmond watches (`scan.namespaces`).
public enum NamespaceMode: String, Sendable, CaseIterable {
    /// Its own and every other namespace a process of the host lives in (the default).
    case all
    /// Only its own.
    case own

    /// The values a configuration may name, for error messages.
    public static let spelled = allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
}
