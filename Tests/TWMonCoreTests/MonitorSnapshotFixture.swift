@testable import TWMonCore

/// A fixed snapshot with round numbers, so replies can be compared byte for byte.
///
/// Ports: 8080 (IPv4 server of nginx.service, 12000 TIME_WAIT, 100 closes/s, alert), 443 (IPv6 server, 6000 TIME_WAIT,
/// alert), 22 (server, no TIME_WAIT), 40000 (client, 3 TIME_WAIT); one malformed row.
enum MonitorSnapshotFixture {
    /// The wall clock the replies are computed at: 3607 s after the start.
    static let now: Double = 1_764_025_560
    static let limits = AlertLimits(threshold: 5_000, clearRatio: 0.8, sustain: 3)

    static let table = PortTable(ports: [
        PortStats(port: 22, ipv4: StateCounts([.listen: 1, .established: 1])),
        PortStats(port: 443, ipv6: StateCounts([.listen: 1, .timeWait: 6_000, .established: 2, .closeWait: 1])),
        {
            // Owned by nginx.service, closing 100 connections per second.
            var stats = PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 12_000, .established: 4]))
            stats.recentCloses = RecentCloses(last10Seconds: 1_000, last60Seconds: 6_000)
            stats.owner = PortOwner(cgroup: "/system.slice/nginx.service", unit: "nginx.service")
            return stats
        }(),
        PortStats(port: 40000, ipv4: StateCounts([.timeWait: 3])),
    ], malformedRows: 1)

    static func snapshot(namespaceAlert: Alert? = nil, problem: String? = nil) -> MonitorSnapshot {
        var history = [
            AlertEventRecord(event: .cleared, kind: .timeWait, subject: .port(9000), count: 3_000, threshold: 5_000, at: 1_764_018_000.25),
            AlertEventRecord(event: .raised, kind: .timeWait, subject: .port(8080), count: 5_200, threshold: 5_000, at: 1_764_020_000),
            AlertEventRecord(event: .raised, kind: .timeWait, subject: .port(443), count: 5_100, threshold: 5_000, at: 1_764_021_800),
        ]
        if let namespaceAlert {
            history.append(AlertEventRecord(event: .raised, kind: .twBuckets, subject: .namespace, count: namespaceAlert.count, threshold: namespaceAlert.limits.threshold, at: namespaceAlert.since))
        }
        return MonitorSnapshot(
            table: table, scannedAt: 1_764_025_553.5, scanDuration: .milliseconds(41) + .microseconds(250), source: "proc",
            scanCount: 42,
            alerts: (namespaceAlert.map { [$0] } ?? []) + [
                {
                    let alert = Alert.timeWait(port: 8080, timeWait: 12_000, established: 4, limits: limits, since: 1_764_020_000, peak: 12_500,
                                               owner: table[port: 8080]?.owner, recentCloses: RecentCloses(last10Seconds: 1_000, last60Seconds: 6_000))
                    return alert
                }(),
                {
                    let alert = Alert.timeWait(port: 443, timeWait: 6_000, established: 2, limits: limits, since: 1_764_021_800, peak: 6_100,
                                               recentCloses: RecentCloses())
                    return alert
                }(),
            ],
            namespace: NamespaceCounters(timeWait: NamespaceTimeWait(timeWait: 18_003, maxBuckets: 262_144)),
            history: history, configuration: Configuration(), startedAt: 1_764_021_953, problem: problem
        )
    }

    /// A namespace alert: 210000 TIME_WAIT of 262144 buckets, raised at 0.8.
    static let namespaceAlert = Alert.twBuckets(timeWait: 210_000, maxBuckets: 262_144, ratio: 0.8, threshold: 209_716, since: 1_764_025_000, peak: 210_000)
}
