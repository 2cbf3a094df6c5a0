/// `Decodable` for the alert types of the control socket's replies: a client decodes a Varlink
/// `Alert` or `AlertEvent` with any `Decoder` (Foundation's `JSONDecoder`, say); each kind's
/// figures decode themselves (`AlertKindRules.init(from:)`).
extension Alert: Decodable {
    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        let rules = try AlertKind(from: members).rules
        self.init(
            subject: try AlertSubject(from: members, shape: rules.subjectShape),
            count: try members.decode(Int.self, forKey: WireKey(rules.countName)),
            limits: AlertLimits(
                threshold: try members.decode(Int.self, forKey: "threshold"), clearRatio: try members.decode(Double.self, forKey: "clear_ratio"),
                sustain: try members.decode(Int.self, forKey: "sustain"), clearSustain: try members.decodeIfPresent(Int.self, forKey: "clear_sustain")),
            since: try members.decode(Double.self, forKey: "since_unix"), peak: try members.decode(Int.self, forKey: "peak"),
            figures: try rules.init(from: decoder), netns: try members.netns())
    }
}

extension AlertEventRecord: Decodable {
    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        guard let event = AlertEvent(rawValue: try members.decode(String.self, forKey: "event")) else {
            throw DecodingError.dataCorruptedError(forKey: "event", in: members, debugDescription: "raised, reminder or cleared")
        }
        let kind = try AlertKind(from: members)
        self.init(event: event, kind: kind, subject: try AlertSubject(from: members, shape: kind.rules.subjectShape),
                  count: try members.decode(Int.self, forKey: WireKey(kind.countName)),
                  threshold: try members.decode(Int.self, forKey: "threshold"), at: try members.decode(Double.self, forKey: "at_unix"),
                  netns: try members.netns(), reason: try members.decodeIfPresent(String.self, forKey: "reason").flatMap(AlertAction.Reason.init(rawValue:)))
    }
}

extension AlertKind {
    init(from members: KeyedDecodingContainer<WireKey>) throws {
        guard let kind = AlertKind(rawValue: try members.decode(String.self, forKey: "kind")) else {
            throw DecodingError.dataCorruptedError(forKey: "kind", in: members, debugDescription: AlertKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = kind
    }
}

extension AlertSubject {
    init(from members: KeyedDecodingContainer<WireKey>, shape: Shape) throws {
        func address(_ key: WireKey) throws -> IPAddress {
            guard let address = IPAddress(text: try members.decode(String.self, forKey: key)) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: members, debugDescription: "an IP address")
            }
            return address
        }
        switch shape {
        case .namespace: self = .namespace
        case .port: self = .port(try members.decode(UInt16.self, forKey: "port"))
        case .clientTuple:
            self = .clientTuple(ClientTuple(localAddress: try address("local_address"), remoteAddress: try address("remote_address"),
                                            remotePort: try members.decode(UInt16.self, forKey: "remote_port")))
        }
    }
}

extension KeyedDecodingContainer<WireKey> {
    /// The owner members `ScanReport.writeOwner` writes; nil without `"cgroup"`.
    func owner() throws -> PortOwner? {
        guard let cgroup = try decodeIfPresent(String.self, forKey: "cgroup") else { return nil }
        var container: PortOwner.Container?
        if contains("container") {
            let members = try nestedContainer(keyedBy: WireKey.self, forKey: "container")
            container = PortOwner.Container(runtime: try members.decode(String.self, forKey: "runtime"), id: try members.decode(String.self, forKey: "id"),
                                            podUID: try members.decodeIfPresent(String.self, forKey: "pod_uid"))
        }
        return PortOwner(cgroup: cgroup, unit: try decodeIfPresent(String.self, forKey: "unit"), container: container)
    }

    /// The `"netns"` object `NetworkNamespace.write(into:)` writes; twmond's own host
    /// namespace when absent (a reply of a twmond that watched only its own).
    func netns() throws -> NetworkNamespace {
        try decodeIfPresent(NetworkNamespace.self, forKey: "netns") ?? .ownHost
    }

    /// `"closes_per_second":{"10s":…,"60s":…}` with `"closes_source"`; nil when absent.
    func recentCloses() throws -> RecentCloses? {
        guard contains("closes_per_second") else { return nil }
        let rates = try nestedContainer(keyedBy: WireKey.self, forKey: "closes_per_second")
        return RecentCloses(perSecond10: try rates.decode(Double.self, forKey: "10s"), perSecond60: try rates.decode(Double.self, forKey: "60s"),
                            source: try decodeIfPresent(CloseRateSource.self, forKey: "closes_source") ?? .timers)
    }

    /// `"closers":[…]`; empty when absent.
    func closers() throws -> [Closer] {
        try decodeIfPresent([Closer].self, forKey: "closers") ?? []
    }
}

extension AlertListing: Decodable {
    /// Decodes a `ListAlerts` reply's parameters (`namespace_alert`, which repeats an alert, is skipped).
    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        alerts = try members.decode([Alert].self, forKey: "alerts")
        history = try members.decode([AlertEventRecord].self, forKey: "history")
    }
}
