import Testing
@testable import TWMonCore

@Suite("Names from the kernel reach people escaped and cut")
struct TerminalTextTests {
    /// What a user with a delegated cgroup subtree can name a unit: a title change, a bell and a
    /// screen clear.
    static let hostileUnit = "x\u{1b}]0;pwned\u{7}\u{1b}[2J.service"
    static let hostileCgroup = "/system.slice/" + hostileUnit

    /// No scalar a terminal acts on, except the line feeds of multi-line output when `lines`.
    static func isInert(_ text: String, lines: Bool = false) -> Bool {
        !text.unicodeScalars.contains { TerminalText.isEscaped($0) && !(lines && $0 == "\n") }
    }

    @Test(arguments: [
        ("\u{1b}[2J", #"\u{1b}[2J"#),
        ("bell\u{7}", #"bell\u{7}"#),
        ("a\rb\nc\r\nd\te", #"a\u{d}b\u{a}c\u{d}\u{a}d\u{9}e"#),
        ("nul\u{0}", #"nul\u{0}"#),
        ("del\u{7f}", #"del\u{7f}"#),
        ("csi\u{9b}31m", #"csi\u{9b}31m"#),
        ("next\u{85}line", #"next\u{85}line"#),
        ("evil\u{202e}ecivres.", #"evil\u{202e}ecivres."#),
        ("\u{2066}iso\u{2069}\u{200e}\u{200f}\u{61c}", #"\u{2066}iso\u{2069}\u{200e}\u{200f}\u{61c}"#),
        ("sep\u{2028}\u{2029}", #"sep\u{2028}\u{2029}"#),
        ("nginx.service", "nginx.service"),
        ("crème-brûlée.service ≥ 日本", "crème-brûlée.service ≥ 日本"),
        (#"back\slash"#, #"back\slash"#),
    ])
    func escapes(raw: String, shown: String) {
        #expect(TerminalText.escaped(raw) == shown)
        #expect(TerminalText.escaped(shown) == shown, "escaping twice changes nothing")
        #expect(Self.isInert(TerminalText.escaped(raw)))
    }

    @Test func linesKeepTheirLineFeedsOnly() {
        #expect(TerminalText.escapedLines("a\u{1b}\nb\r\n") == "a\\u{1b}\nb\\u{d}\n")
    }

    /// Bytes that are not UTF-8 (a lone 0x9b, the 8-bit CSI; a cut sequence) become U+FFFD when
    /// read, as `CgroupOwnerResolver` reads them: nothing raw survives.
    @Test func invalidUTF8() {
        let bytes: [UInt8] = Array("/bad".utf8) + [0x9B, 0x33, 0x31, 0x6D, 0xC3, 0x2E, 0xE6, 0x97] + Array(".service".utf8)
        let owner = CgroupOwnerParser.owner(cgroupPath: String(decoding: bytes, as: UTF8.self))
        let shown = TerminalText.name(owner.displayName)
        #expect(Self.isInert(shown))
        #expect(!shown.utf8.contains(0x9B))
        #expect(shown.contains("\u{fffd}"))
    }

    @Test func longNamesAreCut() {
        let limit = TerminalText.nameLimit
        #expect(limit == 64)
        let exact = String(repeating: "a", count: limit)
        #expect(TerminalText.name(exact) == exact)
        let long = String(repeating: "a", count: 255)
        #expect(TerminalText.name(long) == String(repeating: "a", count: limit - 1) + "…")
        // Two-byte and four-byte characters at the cut point stay whole.
        for character in ["é", "日", "🦀"] {
            let cut = TerminalText.name(String(repeating: character, count: 200))
            #expect(cut == String(repeating: character, count: limit - 1) + "…")
        }
        // An escape is never cut in half: it goes whole, or the ellipsis replaces it.
        let escapes = String(repeating: "\u{1b}", count: 40)
        let shown = TerminalText.name(escapes)
        #expect(shown.unicodeScalars.count <= limit)
        #expect(shown == String(repeating: #"\u{1b}"#, count: 10) + "…")
        #expect(TerminalText.name(String(repeating: "a", count: 58) + "\u{1b}") == String(repeating: "a", count: 58) + #"\u{1b}"#)
        #expect(TerminalText.name(String(repeating: "a", count: 59) + "\u{1b}") == String(repeating: "a", count: 59) + "…")
    }

    private func alert(owner: PortOwner) -> Alert {
        let alert = Alert.timeWait(port: 8080, timeWait: 12_000, established: 0, limits: MonitorSnapshotFixture.limits, since: 0, peak: 12_000,
                                   owner: owner, recentCloses: RecentCloses())
        return alert
    }

    /// The journal MESSAGE, `twmonctl alerts`, `status`, `ports`/`scan` and `check`: the name
    /// escaped everywhere people read it, exact in the journal fields and the JSON.
    @Test func everyHumanOutputEscapesAnOwner() throws {
        let owner = CgroupOwnerParser.owner(cgroupPath: Self.hostileCgroup)
        #expect(owner.unit == Self.hostileUnit)
        let alert = alert(owner: owner)
        let entry = AlertJournal.entry(for: AlertAction(.raised, alert), now: 30)
        #expect(entry.message.hasPrefix(#"port 8080 (x\u{1b}]0;pwned\u{7}\u{1b}[2J.service): 12000 sockets in TIME_WAIT"#))
        #expect(entry.value(of: "TWMON_UNIT") == Self.hostileUnit)
        #expect(entry.value(of: "TWMON_CGROUP") == Self.hostileCgroup)
        #expect(Self.isInert(entry.terminalLine))
        #expect(entry.terminalLine.contains(#"TWMON_CGROUP=/system.slice/x\u{1b}]0;pwned"#))

        var snapshot = MonitorSnapshotFixture.snapshot(problem: "namespace counters unreadable: \u{1b}[31mred")
        snapshot.alerts = [alert]
        snapshot.table.ports = snapshot.table.ports.map { stats in
            var stats = stats
            if stats.port == 8080 { stats.owner = owner }
            return stats
        }
        let status = MonitorStatus(snapshot: snapshot, now: MonitorSnapshotFixture.now)
        let busiest = snapshot.table[port: 8080]
        #expect(busiest?.owner == owner)
        let texts = [
            AlertListing(snapshot: snapshot).text(now: MonitorSnapshotFixture.now),
            status.text(now: MonitorSnapshotFixture.now),
            PortListing(table: snapshot.table).text,
            MonitoringCheck().evaluate(status, busiestServerPort: busiest).output,
            MonitoringCheck(warning: 100).evaluate(status, busiestServerPort: busiest).output,
        ]
        for text in texts {
            #expect(Self.isInert(text, lines: true), "\(text)")
            #expect(text.contains(#"x\u{1b}]0;pwned\u{7}\u{1b}[2J.service"#), "\(text)")
        }
        let line = StatusLine.render(table: snapshot.table, alerts: snapshot.alerts, scanMilliseconds: 4, problem: "bad\u{1b}]0;x\u{7}\n")
        #expect(line.hasSuffix(#"; bad\u{1b}]0;x\u{7} "#))
        #expect(Self.isInert(line))
        var json = JSONWriter()
        PortListing(table: snapshot.table).write(into: &json)
        let reread = try JSONValue.parse(Array(json.string.utf8)).decode(PortListing.self)
        #expect(reread.ports.first { $0.stats.port == 8080 }?.stats.owner == owner)
    }

    /// A 255-byte unit does not widen every row of `twmonctl ports`.
    @Test func longOwnerKeepsTheTableNarrow() {
        let unit = String(repeating: "u", count: 247) + ".service"
        var stats = PortStats(port: 8080)
        stats.owner = CgroupOwnerParser.owner(cgroupPath: "/system.slice/" + unit)
        let text = ScanReport.text(ports: [PortListing.Entry(netns: .ownHost, stats: stats)], summary: "")
        let widest = text.split(separator: "\n").map(\.count).max() ?? 0
        #expect(widest < TerminalText.nameLimit + 60)
        #expect(text.contains(String(repeating: "u", count: TerminalText.nameLimit - 1) + "…"))
        #expect(AlertJournal.portName(alert(owner: stats.owner!)).count == "port 8080 ()".count + TerminalText.nameLimit)
        // A container's name is whole however long its runtime's word; a pod uid longer than a
        // UUID (the path is the cgroup's maker's to choose) is cut.
        let id = String(repeating: "3f2a9c1b", count: 8)
        let pod = "0a1b2c3d_0000_4000_8000_123456789abc"
        let container = CgroupOwnerParser.owner(cgroupPath: "/kubepods.slice/kubepods-pod\(pod).slice/crio-conmon-\(id).scope")
        #expect(container.shownName == "cri-o-conmon 3f2a9c1b3f2a in pod 0a1b2c3d-0000-4000-8000-123456789abc")
        let longer = CgroupOwnerParser.owner(cgroupPath: "/kubepods.slice/kubepods-pod\(pod)\(pod).slice/crio-\(id).scope")
        #expect(longer.shownName == "cri-o 3f2a9c1b3f2a in pod 0a1b2c3d-0000-4000-8000-123456789ab…")
    }
}
