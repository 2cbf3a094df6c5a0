import TWMonCore

extension Alert {
    /// A server port's TIME_WAIT alert.
    static func timeWait(
        port: UInt16, timeWait: Int, established: Int, limits: AlertLimits, since: Double, peak: Int,
        owner: PortOwner? = nil, recentCloses: RecentCloses? = nil, topPeers: [PeerCount] = []
    ) -> Alert {
        Alert(subject: .port(port), count: timeWait, limits: limits, since: since, peak: peak,
              figures: TimeWaitAlertFigures(established: established, owner: owner, recentCloses: recentCloses, topPeers: topPeers))
    }

    /// The namespace's TIME_WAIT total near `tcp_max_tw_buckets`.
    static func twBuckets(timeWait: Int, maxBuckets: Int, ratio: Double, threshold: Int, clearRatio: Double = 0.8, sustain: Int = 3, since: Double, peak: Int? = nil) -> Alert {
        Alert(subject: .namespace, count: timeWait, limits: AlertLimits(threshold: threshold, clearRatio: clearRatio, sustain: sustain),
              since: since, peak: peak ?? timeWait, figures: TWBucketsAlertFigures(maxBuckets: maxBuckets, ratio: ratio))
    }
}

extension JournalEntry {
    /// The value of the field `name` (`MESSAGE`, `PRIORITY` included), if present.
    func value(of name: String) -> String? {
        allFields.first { $0.name == name }?.value
    }
}
