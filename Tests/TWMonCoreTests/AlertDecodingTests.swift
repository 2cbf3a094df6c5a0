import Foundation
import Testing
@testable import TWMonCore

/// `Decodable` reads back what the Varlink writer writes, for every kind, and agrees with the
/// `JSONValue` reader.
@Suite("Alert Decodable")
struct AlertDecodingTests {
    static let limits = AlertLimits(threshold: 400, clearRatio: 0.8, sustain: 2)
    static let tuple = ClientTuple(localAddress: IPAddress(text: "10.0.0.2")!, remoteAddress: IPAddress(text: "10.0.0.5")!, remotePort: 443)

    /// One alert of every kind, with their optional figures present and absent.
    static let alerts: [Alert] = [
        Alert.timeWait(port: 8080, timeWait: 12_000, established: 4, limits: limits, since: 1_764_020_000, peak: 12_500,
                       owner: PortOwner(cgroup: "/system.slice/docker-abc.scope", unit: "docker-abc.scope",
                                        container: PortOwner.Container(runtime: "docker", id: "abc", podUID: "pod-1")),
                       recentCloses: RecentCloses(last10Seconds: 70, last60Seconds: 420)),
        Alert.timeWait(port: 443, timeWait: 6_000, established: 2, limits: limits, since: 1_764_021_800.5, peak: 6_100),
        Alert(subject: .port(9000), count: 200, limits: limits, since: 1_764_025_000, peak: 210,
              figures: CloseWaitAlertFigures(oldestAgeSeconds: 95, minAgeSeconds: 60, owner: PortOwner(cgroup: "/system.slice/api.service", unit: "api.service"))),
        Alert(subject: .clientTuple(tuple), count: 450, limits: limits, since: 1_764_025_000, peak: 450,
              figures: EphemeralPortsAlertFigures(ratio: 0.8, timeWait: 440, usablePorts: 500, portRange: "40000-40499", twReuse: 0)),
        Alert(subject: .clientTuple(tuple), count: 450, limits: limits, since: 1_764_025_000, peak: 450,
              figures: EphemeralPortsAlertFigures(ratio: 0.8, timeWait: 440, usablePorts: 500, portRange: "40000-40499", twReuse: nil)),
        Alert.twBuckets(timeWait: 210_000, maxBuckets: 262_144, ratio: 0.8, threshold: 209_716, since: 1_764_025_000, peak: 210_000),
        Alert(subject: .namespace, count: 0, limits: AlertLimits(threshold: 1, clearRatio: 1, sustain: 1, clearSustain: 3),
              since: 1_764_025_000, peak: 500, figures: TWOverflowAlertFigures(overflowSinceStart: 800, twRecycledSinceStart: 2)),
    ]

    @Test(arguments: alerts)
    func decodesWhatTheWriterWrites(_ alert: Alert) throws {
        var json = JSONWriter()
        alert.write(into: &json)
        let decoded = try JSONDecoder().decode(Alert.self, from: Data(json.string.utf8))
        #expect(decoded == alert)
    }

    @Test func decodesEventRecords() throws {
        let records = [
            AlertEventRecord(event: .raised, kind: .ephemeralPorts, subject: .clientTuple(Self.tuple), count: 450, threshold: 400, at: 1_764_025_000),
            AlertEventRecord(event: .cleared, kind: .timeWait, subject: .port(9000), count: 3_000, threshold: 5_000, at: 1_764_018_000.25),
            AlertEventRecord(event: .reminder, kind: .twOverflow, subject: .namespace, count: 3, threshold: 1, at: 1_764_018_000),
        ]
        for record in records {
            var json = JSONWriter()
            record.write(into: &json)
            #expect(try JSONDecoder().decode(AlertEventRecord.self, from: Data(json.string.utf8)) == record)
        }
    }

    @Test func decodesAListAlertsReply() throws {
        let listing = AlertListing(snapshot: MonitorSnapshotFixture.snapshot(namespaceAlert: MonitorSnapshotFixture.namespaceAlert))
        var json = JSONWriter()
        listing.write(into: &json)
        let decoded = try JSONDecoder().decode(AlertListing.self, from: Data(json.string.utf8))
        #expect(decoded == listing)
    }

    @Test func anUnknownKindIsAnError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Alert.self, from: Data(#"{"kind":"nope","threshold":1}"#.utf8))
        }
    }
}
