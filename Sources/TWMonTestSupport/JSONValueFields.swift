import TWMonCore

/// Typed access to the members of a JSON object, for tests that look at single members of a
/// reply or a `--json` output: each accessor throws `JSONFieldError` naming the member when it
/// is missing or of another type. (twmonctl reads replies with the `Decodable` types of
/// TWMonCore's Varlink/Wire.)
extension JSONValue {
    /// The member `key`, which must be present and not null.
    public func field(_ key: String) throws(JSONFieldError) -> JSONValue {
        guard case .object = self else { throw JSONFieldError(field: key, expected: "an object around it") }
        guard let value = self[key], value != .null else { throw JSONFieldError(field: key, expected: "a value") }
        return value
    }

    /// The member `key`, or nil when it is absent or null (Varlink's `?type`).
    public func optionalField(_ key: String) -> JSONValue? {
        guard let value = self[key], value != .null else { return nil }
        return value
    }

    /// An integer member.
    public func int(_ key: String) throws(JSONFieldError) -> Int {
        guard case .integer(let number) = try field(key) else { throw JSONFieldError(field: key, expected: "an integer") }
        return number
    }

    /// A numeric member, integer or not.
    public func double(_ key: String) throws(JSONFieldError) -> Double {
        switch try field(key) {
        case .integer(let number): return Double(number)
        case .number(let number): return number
        default: throw JSONFieldError(field: key, expected: "a number")
        }
    }

    /// A string member.
    public func string(_ key: String) throws(JSONFieldError) -> String {
        guard case .string(let text) = try field(key) else { throw JSONFieldError(field: key, expected: "a string") }
        return text
    }

    /// An array member.
    public func array(_ key: String) throws(JSONFieldError) -> [JSONValue] {
        guard case .array(let elements) = try field(key) else { throw JSONFieldError(field: key, expected: "an array") }
        return elements
    }

}

/// A member of a JSON object is missing or has the wrong type.
public struct JSONFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member's name.
    public var field: String
    /// What it should have been.
    public var expected: String

    public init(field: String, expected: String) {
        self.field = field
        self.expected = expected
    }

    public var description: String { "field '\(field)': expected \(expected)" }
}
