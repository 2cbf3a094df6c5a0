import Foundation

/// Reading replies: every reply type is `Decodable` (one file per Varlink type beside this
/// one) and Foundation's `JSONDecoder` does the reading. Replies are written by `JSONWriter`
/// (byte-exact) and incoming calls are read by `JSONValue` (duplicate keys, integer/fraction
/// and nesting limits matter there); a client reads what a trusted twmond sent.
public enum WireDecoding {
    /// `bytes`, one JSON document, as a `Reply`.
    public static func decode<Reply: Decodable>(_ type: Reply.Type, from bytes: some Collection<UInt8>) throws -> Reply {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// A `DecodingError` for a value of the right type that is out of range or malformed.
    static func invalid<Key: CodingKey>(_ key: Key, in container: KeyedDecodingContainer<Key>, expected: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected \(expected)")
    }
}

extension JSONValue {
    /// This value (a reply's parameters, as `VarlinkClient.call` returns them) as a `Reply`.
    public func decode<Reply: Decodable>(_ type: Reply.Type) throws -> Reply {
        var json = JSONWriter()
        write(into: &json)
        return try WireDecoding.decode(type, from: json.bytes)
    }
}
