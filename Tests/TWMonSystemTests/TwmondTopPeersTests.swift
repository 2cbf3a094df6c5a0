import Foundation
import Testing
import TWMonCore

/// `alert.top_peers` reaches the alert as configured, above the old fixed five. With
/// `sustain = 1` the raise comes from the first scan over the threshold, before any peers were
/// tallied: the peers are named from the next reminder on (`alert.repeat` is short here).
@Suite("twmond top peers")
struct TwmondTopPeersTests {
    /// A listener on 8080 and TIME_WAIT from 10.0.0.1 ... 10.0.0.9, peer N holding N sockets.
    static func table() -> String {
        var text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        text += "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n"
        var slot = 1
        for peer in 1...9 {
            for socket in 0..<peer {
                let remote = "0\(peer)00000A:\(String(format: "%04X", 40_000 + socket))"
                text += "\(String(format: "%4d", slot)): 0100000A:1F90 \(remote) 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n"
                slot += 1
            }
        }
        return text
    }

    @Test(arguments: [7, 9, 2])
    func topPeersAsConfigured(limit: Int) async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let root = directory.file("proc")
            try FileManager.default.createDirectory(atPath: root + "/net", withIntermediateDirectories: true)
            try Self.table().write(toFile: root + "/net/tcp", atomically: true, encoding: .utf8)
            let configuration = directory.file("twmond.toml")
            try "[scan]\nnamespaces = \"own\"\ninterval = 0.2\n[alert]\ntime_wait_threshold = 10\nsustain = 1\nrepeat = 0.5\ntop_peers = \(limit)\n"
                .write(toFile: configuration, atomically: true, encoding: .utf8)
            let daemon = try TwmondFaultyInputTests.Daemon(directory: directory, configuration: configuration, procRoot: root)
            let expected = (1...9).reversed().prefix(limit).map { "10.0.0.\($0)=\($0)" }.joined(separator: ", ")
            #expect(daemon.wait { daemon.logText.contains("TWMON_TOP_PEERS=\(expected) TWMON_PEAK=") }, "log: \(daemon.logText.suffix(1_500))")
            #expect(daemon.stop())
        }
    }
}
