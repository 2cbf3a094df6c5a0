/// Reads the parameters of an `io.twmon.Monitor.ListAlerts` reply (`namespace_alert`, a
/// repeat of the `tw_buckets` alert for older clients, is not read).
extension AlertListing: Decodable {
    enum CodingKeys: String, CodingKey {
        case alerts, history
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        alerts = try container.decode([AlertWire].self, forKey: .alerts).map(\.alert)
        history = try container.decode([AlertEventWire].self, forKey: .history).map(\.entry)
    }
}
