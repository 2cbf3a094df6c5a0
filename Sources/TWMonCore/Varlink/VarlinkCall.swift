/// One Varlink method call: `{"method":"io.twmon.Monitor.GetStatus","parameters":{…}}`,
/// optionally with `"oneway":true` (no reply wanted), `"more":true` (the client accepts
/// several replies; twmon's methods always send one) or `"upgrade":true` (the client asks to
/// take the connection over with another protocol after the reply).
///
/// A key given twice, in the call or in its parameters, is an error (`duplicateKey`), as in
/// systemd's JSON dispatch: which of the two was meant cannot be known.
public struct VarlinkCall: Sendable {
    /// The fully qualified method name, `INTERFACE.Method`.
    public var method: String
    /// The parameters object's members; empty when absent or null.
    public var parameters: [(key: String, value: JSONValue)]
    /// The client wants no reply.
    public var oneway: Bool
    /// The client accepts more than one reply.
    public var more: Bool
    /// The client asks for a protocol upgrade after the reply.
    public var upgrade: Bool

    public init(
        method: String, parameters: [(key: String, value: JSONValue)] = [], oneway: Bool = false, more: Bool = false,
        upgrade: Bool = false
    ) {
        self.method = method
        self.parameters = parameters
        self.oneway = oneway
        self.more = more
        self.upgrade = upgrade
    }

    /// Decodes one message (without its NUL).
    public init(message: some Collection<UInt8>) throws(VarlinkCallError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(message)
        } catch {
            throw .invalidJSON(error)
        }
        guard case .object(let members) = value else { throw .notAnObject }
        try Self.rejectDuplicates(in: members)
        guard case .string(let method)? = value["method"] else { throw .invalidMember("method") }
        self.method = method
        switch value["parameters"] {
        case nil, .null?: parameters = []
        case .object(let members)?:
            try Self.rejectDuplicates(in: members)
            parameters = members
        default: throw .invalidMember("parameters")
        }
        oneway = try Self.flag("oneway", in: value)
        more = try Self.flag("more", in: value)
        upgrade = try Self.flag("upgrade", in: value)
    }

    /// Objects are small (a call has at most five members, a method a few parameters): a
    /// quadratic check allocates nothing.
    private static func rejectDuplicates(in members: [(key: String, value: JSONValue)]) throws(VarlinkCallError) {
        for index in members.indices.dropFirst() {
            let key = members[index].key
            if members[..<index].contains(where: { $0.key == key }) { throw .duplicateKey(key) }
        }
    }

    private static func flag(_ key: String, in value: JSONValue) throws(VarlinkCallError) -> Bool {
        switch value[key] {
        case nil, .null?: false
        case .bool(let flag)?: flag
        default: throw .invalidMember(key)
        }
    }

    /// The call as a message without its NUL: `method` and `parameters`, and `oneway`, `more`
    /// and `upgrade` when set.
    public var message: [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("method", method)
        json.key("parameters")
        JSONValue.object(parameters).write(into: &json)
        if oneway { json.member("oneway", true) }
        if more { json.member("more", true) }
        if upgrade { json.member("upgrade", true) }
        json.endObject()
        return json.bytes
    }

    /// The interface part of `method` (`io.twmon.Monitor` of `io.twmon.Monitor.GetStatus`).
    public var interface: String {
        guard let dot = method.lastIndex(of: ".") else { return "" }
        return String(method[..<dot])
    }

    /// The value of parameter `name`, nil when absent or null.
    public func parameter(_ name: String) -> JSONValue? {
        guard let value = parameters.first(where: { $0.key == name })?.value, value != .null else { return nil }
        return value
    }
}

/// A message that is not a usable Varlink call.
public enum VarlinkCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON at all.
    case invalidJSON(JSONParseError)
    /// JSON, but not an object.
    case notAnObject
    /// A member of the call (`method`, `parameters`, `oneway`, `more`, `upgrade`) is missing or
    /// mistyped.
    case invalidMember(String)
    /// A key appears twice in the call or in its parameters.
    case duplicateKey(String)

    public var description: String {
        switch self {
        case .invalidJSON(let error): "not JSON: \(error)"
        case .notAnObject: "not a JSON object"
        case .invalidMember(let name): "invalid or missing '\(name)'"
        case .duplicateKey(let name): "'\(name)' given more than once"
        }
    }
}
