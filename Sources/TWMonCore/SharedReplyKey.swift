/// Names a reply that every caller asking the same thing of the same snapshot gets byte for
/// byte: see `MonitorService.sharedReplyKey(for:now:)`.
public enum SharedReplyKey: Sendable, Hashable {
    /// `GetStatus` within the whole second `second` of the wall clock.
    case status(second: Int64)
    /// `ListPorts` with these (validated) parameters.
    case ports(listeningOnly: Bool, state: TCPState?, limit: Int?)
    /// `ListAlerts`.
    case alerts
}
