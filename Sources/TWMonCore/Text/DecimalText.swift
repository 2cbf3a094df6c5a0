/// Numbers as text for people and for TOML: the one place a `Double` becomes digits (the
/// Prometheus writer appends its own bytes on the hot path).
public enum DecimalText {
    /// How a whole number is spelt by `shortest`.
    public enum Whole: Sendable {
        /// `60`, as people read it.
        case integer
        /// `60.0`, as TOML writes a float and Prometheus clients write a bucket bound.
        case pointZero
    }

    /// A whole number below 10¹⁵ in magnitude as an integer (`60`, or `60.0` with
    /// `.pointZero`), anything else in Swift's shortest round-tripping form (`0.5`, `1e+20`,
    /// `inf`).
    public static func shortest(_ value: Double, whole: Whole = .integer) -> String {
        guard value == value.rounded(), abs(value) < 1e15 else { return value.description }
        let digits = String(Int(value))
        return whole == .pointZero ? digits + ".0" : digits
    }

    /// `value` rounded to `decimals` places, always with that many (`0.80`, `12.5`, `3`
    /// for none); nil when it is not finite or too large to round this way.
    public static func fixed(_ value: Double, decimals: Int) -> String? {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, abs(scaled) < 1e18 else { return nil }
        var magnitude = String(Int(abs(scaled)))
        if magnitude.count <= decimals { magnitude = String(repeating: "0", count: decimals + 1 - magnitude.count) + magnitude }
        let sign = scaled.sign == .minus ? "-" : ""
        guard decimals > 0 else { return sign + magnitude }
        let point = magnitude.index(magnitude.endIndex, offsetBy: -decimals)
        return sign + magnitude[..<point] + "." + magnitude[point...]
    }
}
