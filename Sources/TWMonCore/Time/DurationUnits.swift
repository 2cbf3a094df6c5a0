/// A `Duration` in the units twmond reports and computes with. One place for the
/// seconds-and-attoseconds arithmetic, so that no caller spells it again.
extension Duration {
    /// In seconds (STATUS figures, the scan histogram, monotonic timestamps).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// In milliseconds, with fractions (the scan duration reported in `GetStatus`).
    public var inMilliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }

    /// In whole milliseconds, the fraction dropped.
    public var inWholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
