/// Where twmond takes exact close events from (`events.source`).
public enum EventSourceKind: String, Sendable, CaseIterable {
    /// None: close rates come from the TIME_WAIT timers of the table walk (the default).
    case none
    /// The eBPF program on `tp_btf/inet_sock_set_state` (`CloseEventSource`): needs CAP_BPF and
    /// CAP_PERFMON, which can read kernel memory, so it is opt-in.
    case ebpf

    /// The values a configuration may name, for error messages.
    public static let spelled = allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
}
