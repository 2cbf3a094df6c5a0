import Foundation
import Testing
@testable import TWMonCore

@Suite("Alert entries name the owner and the close rate")
struct AlertJournalOwnerTests {
    private func alert(owner: PortOwner?, closes: RecentCloses) -> Alert {
        let alert = Alert.timeWait(port: 8080, timeWait: 6_000, established: 4, limits: MonitorSnapshotFixture.limits, since: 0, peak: 6_000,
                                   owner: owner, recentCloses: closes)
        return alert
    }

    private func fields(_ entry: JournalEntry) -> [String: String] {
        Dictionary(entry.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func raisedEntryOfAUnit() {
        let owner = CgroupOwnerParser.owner(cgroupPath: "/system.slice/nginx.service")
        let entry = AlertJournal.entry(for: AlertAction(.raised, alert(owner: owner, closes: RecentCloses(last10Seconds: 1_010, last60Seconds: 6_000))), now: 30)
        #expect(entry.message == "port 8080 (nginx.service): 6000 sockets in TIME_WAIT, ≈ 100 closes/s by the server (threshold 5000) — the server is closing connections first")
        let fields = fields(entry)
        #expect(fields["TWMON_UNIT"] == "nginx.service")
        #expect(fields["TWMON_CGROUP"] == "/system.slice/nginx.service")
        #expect(fields["TWMON_OWNER"] == "nginx.service")
        #expect(fields["TWMON_CLOSE_RATE"] == "100.0")
        #expect(fields["TWMON_CLOSE_RATE_10S"] == "101.0")
        #expect(fields["TWMON_CONTAINER_ID"] == nil)
    }

    @Test func entryOfAPodContainer() {
        let id = CgroupOwnerParserTests.id
        let owner = CgroupOwnerParser.owner(
            cgroupPath: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d_0000_4000_8000_123456789abc.slice/cri-containerd-\(id).scope")
        let entry = AlertJournal.entry(for: AlertAction(.reminder, alert(owner: owner, closes: RecentCloses(last10Seconds: 5, last60Seconds: 40))), now: 60)
        #expect(entry.message.hasPrefix("port 8080 (containerd 3f2a9c1b7d0e in pod 0a1b2c3d-0000-4000-8000-123456789abc): still 6000 sockets in TIME_WAIT, ≈ 0.7 closes/s by the server"))
        let fields = fields(entry)
        #expect(fields["TWMON_UNIT"] == "cri-containerd-\(id).scope")
        #expect(fields["TWMON_CONTAINER_RUNTIME"] == "containerd")
        #expect(fields["TWMON_CONTAINER_ID"] == id)
        #expect(fields["TWMON_POD_UID"] == "0a1b2c3d-0000-4000-8000-123456789abc")
    }

    @Test func noOwnerIsNotInvented() {
        for owner in [nil, PortOwner(cgroup: "/")] {
            let entry = AlertJournal.entry(for: AlertAction(.cleared, alert(owner: owner, closes: RecentCloses())), now: 60)
            #expect(entry.message.hasPrefix("port 8080: TIME_WAIT down to 6000"))
            let fields = fields(entry)
            #expect(fields["TWMON_UNIT"] == nil)
            #expect(fields["TWMON_OWNER"] == "unknown")
            #expect(fields["TWMON_CGROUP"] == owner?.cgroup)
            #expect(fields["TWMON_CLOSE_RATE"] == "0.0")
        }
    }

    @Test func varlinkAlertReadsBackWithOwnerAndRate() throws {
        let owner = CgroupOwnerParser.owner(cgroupPath: "/user.slice/user-1000.slice/session-3.scope")
        let original = alert(owner: owner, closes: RecentCloses(last10Seconds: 70, last60Seconds: 420))
        var json = JSONWriter()
        original.write(into: &json)
        #expect(json.string.contains(#""closes_per_second":{"10s":7.0,"60s":7.0},"unit":"session-3.scope","cgroup":"/user.slice/user-1000.slice/session-3.scope""#))
        #expect(try JSONDecoder().decode(Alert.self, from: Data(json.string.utf8)) == original)
    }
}

extension AlertJournalOwnerTests {
    /// A CLOSE_WAIT alert names the owner too (it has no close rate: nothing closes first).
    @Test func closeWaitEntryNamesTheOwner() {
        let owner = CgroupOwnerParser.owner(cgroupPath: "/system.slice/api.service")
        let alert = Alert(subject: .port(9000), count: 200, limits: MonitorSnapshotFixture.limits, since: 0, peak: 200,
                          figures: CloseWaitAlertFigures(oldestAgeSeconds: 95, minAgeSeconds: 60, owner: owner))
        let entry = AlertJournal.entry(for: AlertAction(.raised, alert), now: 30)
        #expect(entry.message.hasPrefix("port 9000 (api.service): 200 sockets in CLOSE_WAIT"))
        let fields = fields(entry)
        #expect(fields["TWMON_ALERT"] == "close_wait")
        #expect(fields["TWMON_UNIT"] == "api.service")
        #expect(fields["TWMON_OWNER"] == "api.service")
        #expect(fields["TWMON_CLOSE_RATE"] == nil)
    }
}
