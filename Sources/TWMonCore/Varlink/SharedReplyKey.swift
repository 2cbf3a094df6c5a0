/// Names a reply that every caller asking the same thing of the same snapshot gets byte for
/// byte: see `MonitorService.sharedReplyKey(for:now:)`.
public enum SharedReplyKey: Sendable, Hashable {
    /// `GetStatus` within the whole second `second` of the wall clock.
    case status(second: Int64)
    /// `ListPorts` with these (validated) parameters.
    case ports(PortQuery)
    /// `ListAlerts`.
    case alerts
}

extension SharedReplyKey {
    /// Replies listing more ports than this are encoded off the event loops.
    public static let largeReplyPorts = 1_000

    /// Whether the reply may be large enough (many ports of tables of `portCount` ports in
    /// all) that encoding it should not hold up the connections served beside it.
    public func mayBeLarge(portCount: Int) -> Bool {
        guard case .ports(let selection) = self else { return false }
        return min(selection.limit ?? Int.max, portCount) > Self.largeReplyPorts
    }
}
