import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem

/// The metrics endpoint and textfile of the real `twmond` in a private network namespace:
/// the exposition agrees with `twmonctl ports --json` for the same scan, the endpoint serves
/// `GET /metrics` and nothing else, it is socket-activated beside the control socket, and its
/// connections are limited per remote address.
@Suite(.serialized, .enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct MetricsEndpointTests {
    static let port = 19632

    /// A configuration for one scan only (`interval = 3600`), every client port exported.
    static func configuration(in directory: TemporaryDirectory, listen: String?, extra: String = "") throws -> String {
        let path = directory.file("twmond.toml")
        var text = "[scan]\ninterval = 3600.0\n[alert]\ntime_wait_threshold = 100\nsustain = 1\n[metrics]\nclient_ports = 1000\n"
        text += "textfile = \"\(directory.file("twmond.prom"))\"\n"
        if let listen { text += "listen = \"\(listen)\"\n" }
        try (text + extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts twmond in `namespace` with `configuration(in:listen:)` and waits for its first
    /// scan; returns its control socket.
    static func startDaemon(in namespace: TestNetworkNamespace, directory: TemporaryDirectory, listen: String) throws -> String {
        let socket = directory.file("control.sock")
        _ = try namespace.start([TestEnvironment.executable("twmond"), "--config",
                                 try configuration(in: directory, listen: listen), "--socket", socket])
        _ = try TwmondControlSocketTests.waitForStatus(socket)
        return socket
    }

    @Test func portSocketsEqualTwmonctlPortsOfTheSameScan() async throws {
        try await OwnThread.run {
            let namespace = try TestNetworkNamespace()
            defer { namespace.close() }
            try namespace.startMixedLoad()
            let directory = try TemporaryDirectory()
            let socket = try Self.startDaemon(in: namespace, directory: directory, listen: "127.0.0.1:\(Self.port)")
            let client = MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: Self.port)
            let response = try client.waitForMetrics()
            let ports = try TwmondControlSocketTests.twmonctl(["ports", "--json", "--socket", socket])
            let status = try MonitorStatus(json: try JSONValue.parse(Array(
                try TwmondControlSocketTests.twmonctl(["status", "--json", "--socket", socket]).standardOutput.utf8)))

            // One scan in all: the exposition and the control socket's table are of the same one.
            let exposition = ExpositionSamples(response.body)
            #expect(status.scanCount == 1)
            #expect(exposition.value("twmon_scans_total") == 1)
            let reported = try SocketCensus(scanJSON: ports.standardOutput)
            #expect(exposition.census == reported)
            #expect(exposition.census.ports[8080] == ["LISTEN": 1, "TIME_WAIT": 300, "ESTABLISHED": 4, "CLOSE_WAIT": 3])
            // (The endpoint's own port is in the table when it listened before the one scan.)
            #expect(Set(exposition.named("twmon_port_sockets").filter { $0.labels["role"] == "server" }.map { $0.labels["port"]! })
                .subtracting([String(Self.port)]) == ["8080", "9000"])
            // The namespace totals are the sum of the table's.
            for state in TCPState.allCases {
                #expect(exposition.named("twmon_sockets").first { $0.labels["state"] == state.metricName }?.value
                    == Double(status.totals[state]), "\(state)")
            }
            #expect(exposition.named("twmon_alert_active").map { "\($0.labels["kind"]!):\($0.labels["port"] ?? "")" } == ["time_wait:8080"])
            #expect(exposition.named("twmon_alerts_raised_total").first { $0.labels["kind"] == "time_wait" }?.value == 1)
            // The textfile holds the same rendering, mode 0644.
            let textfile = try String(contentsOfFile: directory.file("twmond.prom"), encoding: .utf8)
            #expect(textfile == response.body)
            var info = stat()
            #expect(stat(directory.file("twmond.prom"), &info) == 0 && info.st_mode & 0o777 == 0o644)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
        }
    }

    @Test func servesGetMetricsAndNothingElse() async throws {
        try await OwnThread.run {
            let namespace = try TestNetworkNamespace()
            defer { namespace.close() }
            let directory = try TemporaryDirectory()
            _ = try Self.startDaemon(in: namespace, directory: directory, listen: "[::1]:\(Self.port)")
            let client = MetricsHTTPClient(namespace: namespace, host: "::1", port: Self.port)
            _ = try client.waitForMetrics()
            // Several requests on one kept-alive connection.
            let responses = try client.send([
                ("GET", "/metrics"), ("GET", "/metrics?name[]=x"), ("HEAD", "/metrics"), ("GET", "/"), ("GET", "/metrics/"),
                ("POST", "/metrics"), ("DELETE", "/metrics"), ("GET", "/metrics"),
            ])
            #expect(responses.map(\.status) == [200, 200, 200, 404, 404, 405, 405, 200])
            let body = responses[0].body
            #expect(responses[0].headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(responses[0].headers["content-length"] == String(body.utf8.count))
            #expect(responses[2].body.isEmpty && responses[2].headers["content-length"] == String(body.utf8.count))
            #expect(responses[5].headers["allow"] == "GET, HEAD")
            #expect(responses[7].body == body)
            #expect(body.hasSuffix("twmon_build_info{version=\"\(TWMonVersion.current)\",source=\"netlink\"} 1\n"))
            // A request that is not HTTP gets 400 and the connection closed.
            let garbage = try namespace.run(["/usr/bin/python3", "-c", """
                import socket
                s = socket.create_connection(("::1", \(Self.port)), timeout=5)
                s.sendall(b"\\x00\\x01 not http\\r\\n\\r\\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                print(data.split(b"\\r\\n")[0].decode())
                """])
            #expect(garbage.standardOutput == "HTTP/1.1 400 Bad Request\n")
        }
    }

    /// As systemd starts it with twmond.socket and twmond-metrics.socket: two sockets, told
    /// apart by their names.
    @Test func socketActivatedBesideTheControlSocket() async throws {
        try await OwnThread.run {
            let namespace = try TestNetworkNamespace()
            defer { namespace.close() }
            let directory = try TemporaryDirectory()
            let control = directory.file("activated.sock")
            // Through a python3 parent that waits for it: systemd-socket-activate closes every
            // other descriptor before it execs, among them the one Foundation's Process watches
            // to see a child end, which would then wait for it (and every later child) forever.
            // The parent inherits a signal mask that blocks SIGTERM (and SIGCHLD, so no shell
            // could wait): twmond is stopped by its PID, then the parent ends with it.
            let activate = [
                "systemd-socket-activate", "--listen", control, "--listen", "127.0.0.1:\(Self.port)", "--fdname=control:metrics",
                TestEnvironment.executable("twmond"), "--config", try Self.configuration(in: directory, listen: nil),
                "--socket", directory.file("unused.sock"),
            ]
            let pidFile = directory.file("twmond.pid")
            _ = try namespace.start(["/usr/bin/python3", "-c", """
                import subprocess, sys
                child = subprocess.Popen(sys.argv[2:])
                open(sys.argv[1], "w").write(str(child.pid))
                sys.exit(child.wait())
                """, pidFile] + activate)
            defer {
                if let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                    kill(pid, SIGTERM)
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while access(control, F_OK) != 0 && ContinuousClock.now < deadline { usleep(20_000) }
            // The first connection starts twmond, which is given both sockets.
            let status = try MonitorStatus(json: try TwmondControlSocketTests.waitForStatus(control))
            #expect(status.scanCount == 1)
            let response = try MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: Self.port).waitForMetrics()
            #expect(ExpositionSamples(response.body).value("twmon_scans_total") == 1)
            #expect(access(directory.file("unused.sock"), F_OK) != 0)
        }
    }

    /// The control socket's limits, per remote address: an address at 128 connections loses
    /// its least recently active idle one to a new one, another address is not touched, and an
    /// idle connection is closed after 10 s.
    @Test func connectionsAreLimitedPerRemoteAddress() async throws {
        try await OwnThread.run {
            let namespace = try TestNetworkNamespace()
            defer { namespace.close() }
            let directory = try TemporaryDirectory()
            _ = try Self.startDaemon(in: namespace, directory: directory, listen: "0.0.0.0:\(Self.port)")
            _ = try MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: Self.port).waitForMetrics()
            let result = try namespace.run(["/usr/bin/python3", "-c", """
                import select, socket, time
                def connect(source):
                    s = socket.socket()
                    s.bind((source, 0))
                    s.connect(("127.0.0.1", \(Self.port)))
                    return s
                def closed(s):
                    return bool(select.select([s], [], [], 0)[0]) and s.recv(1) == b""
                other = [connect("127.0.0.2") for _ in range(10)]
                mine = [connect("127.0.0.1") for _ in range(130)]
                time.sleep(1.0)
                gone = [i for i, s in enumerate(mine) if closed(s)]
                print(len(gone), max(gone, default=-1), sum(closed(s) for s in other))
                fresh = connect("127.0.0.3")
                fresh.sendall(b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                print(fresh.recv(64).split(b"\\r\\n")[0].decode())
                started = time.monotonic()
                idle = connect("127.0.0.4")
                select.select([idle], [], [], 30)
                print(round(time.monotonic() - started))
                """])
            let lines = result.standardOutput.split(separator: "\n")
            #expect(result.status == 0, "\(result.standardError)")
            // Two of 127.0.0.1's 130 were evicted, among its oldest (connections are registered
            // by several event loops, so not strictly in connect order); 127.0.0.2's ten stayed.
            let evictions = lines.first?.split(separator: " ").compactMap { Int($0) } ?? []
            #expect(evictions.count == 3 && evictions[0] == 2 && evictions[1] < 16 && evictions[2] == 0, "\(lines)")
            #expect(lines.dropFirst().first == "HTTP/1.1 200 OK")
            #expect(lines.last.flatMap { Int($0) }.map { (9...13).contains($0) } == true, "\(lines)")
        }
    }
}
