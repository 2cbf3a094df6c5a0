import Foundation
import Testing
import TWMonCore
import TWMonSystem

/// `scan.source = "auto"`: netlink where a dump works on the real /proc, /proc otherwise.
@Suite("Scanner.make(kind: .auto)")
struct AutoSourceTests {
    @Test("on this machine's real /proc, auto chooses netlink (sock_diag needs no privilege)")
    func choosesNetlinkHere() throws {
        let scanner = try Scanner.make(kind: .auto, procRoot: "/proc")
        #expect(scanner.source.name == "netlink")
        #expect(scanner.autoChoice?.hasPrefix("netlink") == true)
        _ = try scanner.scan()
    }

    @Test("a captured proc root means /proc, whatever netlink could do")
    func capturedRootMeansProc() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("twmon-auto-\(getpid())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("net"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        let listen = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
        try (header + listen).write(to: directory.appendingPathComponent("net/tcp"), atomically: true, encoding: .utf8)
        let scanner = try Scanner.make(kind: .auto, procRoot: directory.path)
        #expect(scanner.source.name == "proc")
        #expect(scanner.autoChoice == "proc (scan.proc_root is \(directory.path))")
        #expect(try scanner.scan().table[port: 8080]?.listening == true)
    }

    @Test("where netlink cannot be opened, auto falls back to /proc and says why")
    func fallsBackWhenNetlinkFails() throws {
        let scanner = try Scanner.make(kind: .auto, procRoot: "/proc") { () throws(ScanError) -> any SocketTableSource in
            throw ScanError.netlink("socket(NETLINK_SOCK_DIAG): Address family not supported by protocol")
        }
        #expect(scanner.source.name == "proc")
        #expect(scanner.autoChoice == "proc (netlink unusable: netlink sock_diag: socket(NETLINK_SOCK_DIAG): Address family not supported by protocol)")
        _ = try scanner.scan()
    }

    @Test("proc and netlink are taken as asked, with no choice to report")
    func explicitKinds() throws {
        #expect(try Scanner.make(kind: .proc, procRoot: "/proc").autoChoice == nil)
        #expect(try Scanner.make(kind: .netlink, procRoot: "/proc").source.name == "netlink")
    }
}
