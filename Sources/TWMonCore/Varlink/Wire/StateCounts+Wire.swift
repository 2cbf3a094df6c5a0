/// Reads a Varlink `[string]int` of sockets per TCP state name, as `ScanReport.writeStates`
/// writes it.
extension StateCounts: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: WireKey.self)
        self.init()
        for key in container.allKeys {
            let count = try container.decode(Int.self, forKey: key)
            guard let state = TCPState(name: key.stringValue), count >= 0 else {
                throw WireDecoding.invalid(key, in: container, expected: "a TCP state name with a socket count")
            }
            self[state] = count
        }
    }
}
