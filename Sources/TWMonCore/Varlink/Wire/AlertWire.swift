/// A Varlink `Alert` or `AlertEvent` in a reply.
///
/// THE ONE PLACE where decoding alerts still goes through the hand-written `Alert(json:)` and
/// `AlertHistoryEntry(json:)`: alert kinds are being rewritten to carry their own wire coding.
/// When `Alert` is `Decodable`, replace `AlertWire.alert` with `Alert` in the listings and drop
/// this file (and `JSONValue: Decodable` if nothing else uses it).
struct AlertWire: Decodable {
    var alert: Alert

    init(from decoder: any Decoder) throws {
        alert = try Alert(json: JSONValue(from: decoder))
    }
}

/// A Varlink `AlertEvent`; see `AlertWire`.
struct AlertEventWire: Decodable {
    var entry: AlertHistoryEntry

    init(from decoder: any Decoder) throws {
        entry = try AlertHistoryEntry(json: JSONValue(from: decoder))
    }
}
