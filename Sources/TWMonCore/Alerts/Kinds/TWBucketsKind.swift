/// `tw_buckets`: the namespace's TIME_WAIT total approaches `net.ipv4.tcp_max_tw_buckets`;
/// beyond it the kernel skips TIME_WAIT.
///
/// Observes the namespace's TIME_WAIT count (`/proc/net/sockstat`). Judged by
/// `alert.tw_buckets_ratio` of the limit and `[alert]`.
public struct TWBucketsAlertFigures: AlertKindRules {
    /// `net.ipv4.tcp_max_tw_buckets`.
    public var maxBuckets: Int
    /// The configured share of the limit that raises the alert.
    public var ratio: Double

    public init(maxBuckets: Int, ratio: Double) {
        self.maxBuckets = maxBuckets
        self.ratio = ratio
    }

    public static let kind = AlertKind.twBuckets
    public static let countName = "time_wait"
    public static let countLabel = "TIME_WAIT"
    public static let raisedMessageID = "a2133443ca6847e79cbed5ba978024de"
    public static let clearedMessageID = "d1a7d0d631ac4d0fa87cb3dac8b3892b"
    public static let listingOrder = 1
    public static let subjectShape = AlertSubject.Shape.namespace
    public static let interfaceSummary = ["the namespace's TIME_WAIT total nears tcp_max_tw_buckets"]
    public static let interfaceMembers = [
        AlertInterfaceMember("max_tw_buckets: ?int", "net.ipv4.tcp_max_tw_buckets, and the configured share of it that", "raises the alert."),
        AlertInterfaceMember("ratio: ?float"),
    ]

    public static func observations(in scan: ScanFindings, _ context: AlertObservationContext) -> [AlertObservation]? {
        guard let namespace = scan.counters?.timeWait, let maxBuckets = namespace.maxBuckets else { return nil }
        return [AlertObservation(subject: .namespace, count: namespace.timeWait, figures: TWBucketsAlertFigures(
            maxBuckets: maxBuckets, ratio: context.configuration.alert.twBucketsRatio))]
    }

    public static func limits(for subject: AlertSubject, in netns: NetworkNamespace, configuration: Configuration, counters: NamespaceCounters?) -> AlertLimits? {
        let ratio = configuration.alert.twBucketsRatio
        guard subject == .namespace, ratio > 0, let maxBuckets = counters?.timeWait?.maxBuckets, maxBuckets > 0 else { return nil }
        return AlertLimits(threshold: max(1, wholeCeiling(maxBuckets, times: ratio)),
                           clearRatio: configuration.alert.clearRatio, sustain: configuration.alert.sustain)
    }

    public var gone: TWBucketsAlertFigures { self }

    public func message(_ event: AlertEvent, _ alert: Alert, active: String) -> String {
        let share = AlertJournal.percent(alert.count, of: maxBuckets)
        switch event {
        case .raised:
            return "\(AlertJournal.namespaceName(alert)): \(alert.count) sockets in TIME_WAIT, \(share) of net.ipv4.tcp_max_tw_buckets=\(maxBuckets) (alert at \(alert.limits.threshold)) — beyond the limit the kernel skips TIME_WAIT"
        case .reminder:
            return "\(AlertJournal.namespaceName(alert)): still \(alert.count) sockets in TIME_WAIT, \(share) of net.ipv4.tcp_max_tw_buckets=\(maxBuckets)"
        case .cleared:
            return "\(AlertJournal.namespaceName(alert)): TIME_WAIT down to \(alert.count) of net.ipv4.tcp_max_tw_buckets=\(maxBuckets); alert cleared"
        }
    }

    public func journalFields(_ alert: Alert) -> [(String, String)] {
        [("TWMON_MAX_TW_BUCKETS", String(maxBuckets)), ("TWMON_RATIO", AlertJournal.ratioText(ratio))]
    }

    public func listingDetail(_ alert: Alert) -> String { " of tcp_max_tw_buckets=\(maxBuckets)" }

    /// Always CRITICAL: the limit is near.
    public func verdict(_ alert: Alert) -> (state: MonitoringCheck.State, finding: String) {
        (.critical, "\(AlertJournal.namespaceName(alert)) TIME_WAIT \(alert.count) ≥ \(alert.limits.threshold) of tcp_max_tw_buckets=\(maxBuckets)")
    }

    public func write(into json: inout JSONWriter) {
        json.member("max_tw_buckets", maxBuckets)
        json.member("ratio", ratio)
    }

    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(maxBuckets: try members.decode(Int.self, forKey: "max_tw_buckets"), ratio: try members.decode(Double.self, forKey: "ratio"))
    }
}
