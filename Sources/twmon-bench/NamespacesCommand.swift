import ArgumentParser
import TWMonCore
import TWMonSystem

/// `twmon-bench namespaces`: one `OtherNamespaces.scan` of this host, as whoever runs it (the
/// tests run it as an unprivileged user to show that nothing more is needed), printed per
/// namespace: name, key, TIME_WAIT and server ports.
struct NamespacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespaces",
        abstract: "Scan every other network namespace once through /proc/PID/net and print what was found."
    )

    @Flag(help: "One JSON object instead of lines of text.")
    var json = false

    @Option(help: "Scans made in a row (the last is printed, with each scan's figures): later ones keep the tables of unchanged namespaces.")
    var scans = 1

    func run() throws {
        let namespaces = OtherNamespaces()
        var figures: [OtherNamespacesScan.Figures] = []
        var scan = OtherNamespacesScan(own: .ownHost)
        for _ in 0..<max(scans, 1) {
            scan = namespaces.scan()
            figures.append(scan.figures)
        }
        if json {
            print(Self.json(scan, figures: figures))
            return
        }
        print("own: \(scan.own.name) (key \(scan.own.key))")
        for read in scan.others {
            let ports = read.result.table.ports.filter(\.listening).map { "\($0.port)" }.joined(separator: ",")
            print("\(read.netns.name)\tkey \(read.netns.key)\ttw \(read.result.table.totals[.timeWait])\tservers \(ports)\t\(read.readInFull ? "read" : "kept")")
        }
        for (index, pass) in figures.enumerated() {
            print("scan \(index + 1): \(pass.discovered) discovered, \(pass.readInFull) read in full, \(pass.unchanged) unchanged, \(pass.empty) empty, \(pass.unreadable) unreadable, \(format(pass.duration.inMilliseconds, decimals: 3)) ms")
        }
    }

    /// `{"own":{…},"namespaces":[{"name","key","own","read_in_full","time_wait","sockstat_tw","ports":[{"port","listening","time_wait"}]}],"scans":[figures…]}`.
    static func json(_ scan: OtherNamespacesScan, figures: [OtherNamespacesScan.Figures]) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("own")
        scan.own.write(into: &json)
        json.member("own_key", Int(truncatingIfNeeded: scan.own.key))
        json.array("namespaces") { json in
            for read in scan.others {
                json.beginObject()
                json.member("name", read.netns.name)
                json.member("key", Int(truncatingIfNeeded: read.netns.key))
                json.member("read_in_full", read.readInFull)
                json.member("time_wait", read.result.table.totals[.timeWait])
                json.member("sockstat_tw", read.activity.timeWait)
                json.array("ports") { json in
                    for port in read.result.table.ports {
                        json.beginObject()
                        json.member("port", Int(port.port))
                        json.member("listening", port.listening)
                        json.member("time_wait", port.timeWait)
                        json.endObject()
                    }
                }
                json.endObject()
            }
        }
        json.array("scans") { json in
            for pass in figures {
                json.beginObject()
                json.member("discovered", pass.discovered)
                json.member("read_in_full", pass.readInFull)
                json.member("unchanged", pass.unchanged)
                json.member("empty", pass.empty)
                json.member("unreadable", pass.unreadable)
                json.member("seconds", pass.duration.inSeconds)
                json.endObject()
            }
        }
        json.endObject()
        return json.string
    }
}
