/// Reads a Varlink `Netns` (`NetworkNamespace.write(into:)`); its `key` is not on the wire
/// and reads as 0.
extension NetworkNamespace: Decodable {
    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(name: try members.decode(String.self, forKey: "name"), own: try members.decode(Bool.self, forKey: "own"), owner: try members.owner())
    }
}
