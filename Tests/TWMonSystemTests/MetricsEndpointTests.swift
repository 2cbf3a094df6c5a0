import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

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
        var text = "[scan]\nnamespaces = \"own\"\ninterval = 3600.0\n[alert]\ntime_wait_threshold = 100\nsustain = 1\n[metrics]\nclient_ports = 1000\n"
        text += "textfile = \"\(directory.file("twmond.prom"))\"\n"
        if let listen { text += "listen = \"\(listen)\"\n" }
        try (text + extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts twmond in `namespace` with `configuration(in:listen:)` and waits for its first
    /// scan; returns its control socket.
    static func startDaemon(in namespace: ScratchNamespace, directory: TemporaryDirectory, listen: String) throws -> String {
        let socket = directory.file("control.sock")
        _ = try namespace.start([TestEnvironment.executable("twmond"), "--config",
                                 try configuration(in: directory, listen: listen), "--socket", socket])
        _ = try TwmondControlSocketTests.waitForStatus(socket)
        return socket
    }

    @Test func portSocketsEqualTwmonctlPortsOfTheSameScan() async throws {
        try await OwnThread.run {
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            try namespace.startMixedLoad()
            let directory = try TemporaryDirectory()
            let socket = try Self.startDaemon(in: namespace, directory: directory, listen: "127.0.0.1:\(Self.port)")
            let client = MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: Self.port)
            let response = try client.waitForMetrics()
            let ports = try TwmondControlSocketTests.twmonctl(["ports", "--json", "--socket", socket])
            let status = try JSONValue.parse(Array(
                try TwmondControlSocketTests.twmonctl(["status", "--json", "--socket", socket]).standardOutput.utf8)).decode(MonitorStatus.self)

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
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            let directory = try TemporaryDirectory()
            _ = try Self.startDaemon(in: namespace, directory: directory, listen: "[::1]:\(Self.port)")
            let client = MetricsHTTPClient(namespace: namespace, host: "::1", port: Self.port)
            _ = try client.waitForMetrics()
            // Several requests on one kept-alive connection.
            let responses = try client.send([
                ("GET", "/metrics"), ("GET", "/metrics?name[]=x"), ("HEAD", "/metrics"), ("GET", "/"), ("GET", "/metrics/"),
                ("POST", "/metrics"), ("DELETE", "/metrics"), ("GET", "/metrics"),
                // The absolute form (RFC 9112 §3.2.2), and a target in no form a GET can use.
                ("GET", "http://[::1]:\(Self.port)/metrics"), ("GET", "HTTP://localhost/metrics?x"), ("GET", "*"),
            ])
            #expect(responses.map(\.status) == [200, 200, 200, 404, 404, 405, 405, 200, 200, 200, 400])
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

    /// `Expect: 100-continue` is answered at once (not at the idle timeout), another
    /// expectation with 417, and a body over 64 KiB — declared, or found while reading a
    /// chunked one — with 413; those two close the connection.
    @Test func expectationsAndBodiesOverTheLimit() async throws {
        try await Self.withEndpoint(listen: "127.0.0.1:\(Self.port)") { namespace in
            let result = try namespace.run(["/usr/bin/python3", "-c", """
                import socket, time
                def exchange(request, then=b""):
                    s = socket.create_connection(("127.0.0.1", \(Self.port)), timeout=5)
                    s.sendall(request)
                    started = time.monotonic()
                    first = s.recv(4096)
                    took = time.monotonic() - started
                    if then:
                        s.sendall(then)
                    data = first
                    while True:
                        try:
                            chunk = s.recv(65536)
                        except (ConnectionResetError, socket.timeout):
                            break
                        if not chunk: break
                        data += chunk
                    lines = [l.decode() for l in data.split(b"\\r\\n") if l.startswith(b"HTTP/")]
                    print(" | ".join(lines), round(took, 1))
                head = b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n"
                exchange(head + b"Content-Length: 5\\r\\nExpect: 100-continue\\r\\n\\r\\n", then=b"12345")
                exchange(head + b"Content-Length: 5\\r\\nExpect: 100-CONTINUE, x\\r\\n\\r\\n")
                exchange(head + b"Content-Length: 5\\r\\nExpect: teapot\\r\\n\\r\\n")
                exchange(head + b"Content-Length: 70000\\r\\nExpect: 100-continue\\r\\n\\r\\n")
                exchange(head + b"Content-Length: 99999999999999999999\\r\\n\\r\\n")
                body = b"%x\\r\\n%s\\r\\n" % (70000, b"x" * 70000)
                exchange(head + b"Transfer-Encoding: chunked\\r\\n\\r\\n" + body + b"0\\r\\n\\r\\n")
                exchange(b"GET /metrics HTTP/1.0\\r\\nContent-Length: 5\\r\\nExpect: 100-continue\\r\\n\\r\\n12345")
                """])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n").map(String.init)
            print("expectations and bodies: \(lines)")
            #expect(lines.count == 7, "\(lines)")
            guard lines.count == 7 else { return }
            // The answer before the body (0.0 s), then the response once the body came.
            #expect(lines[0] == "HTTP/1.1 100 Continue | HTTP/1.1 200 OK 0.0")
            #expect(lines[1] == "HTTP/1.1 417 Expectation Failed 0.0")
            #expect(lines[2] == "HTTP/1.1 417 Expectation Failed 0.0")
            #expect(lines[3] == "HTTP/1.1 413 Content Too Large 0.0")
            // A length past 64 bits is the decoder's to refuse, as malformed.
            #expect(lines[4] == "HTTP/1.1 400 Bad Request 0.0")
            #expect(lines[5] == "HTTP/1.1 413 Content Too Large 0.0")
            // HTTP/1.0: the expectation is ignored.
            #expect(lines[6] == "HTTP/1.0 200 OK 0.0")
        }
    }

    /// As systemd starts it with twmond.socket and twmond-metrics.socket: two sockets, told
    /// apart by their names.
    @Test func socketActivatedBesideTheControlSocket() async throws {
        try await OwnThread.run {
            let namespace = try ScratchNamespace()
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
            let status = try TwmondControlSocketTests.waitForStatus(control).decode(MonitorStatus.self)
            #expect(status.scanCount == 1)
            let response = try MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: Self.port).waitForMetrics()
            #expect(ExpositionSamples(response.body).value("twmon_scans_total") == 1)
            #expect(access(directory.file("unused.sock"), F_OK) != 0)
        }
    }

    /// The control socket's limits, per remote address: an address at 128 connections loses
    /// its least recently active idle one to a new one (a reset), another address is not
    /// touched, and an idle connection is closed after 10 s: reset if it never completed a
    /// request, in order (FIN) if it did.
    @Test func connectionsAreLimitedPerRemoteAddress() async throws {
        try await Self.withEndpoint(listen: "0.0.0.0:\(Self.port)") { namespace in
            let result = try namespace.run(["/usr/bin/python3", "-c", Self.connections + """
                def closed(s):
                    return bool(ended(s))
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
                served = connect("127.0.0.5")
                served.sendall(b"HEAD /metrics HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                served.settimeout(5)
                head = b""
                while b"\\r\\n\\r\\n" not in head:
                    head += served.recv(4096)
                select.select([idle], [], [], 30)
                took = round(time.monotonic() - started)
                select.select([served], [], [], 5)
                print(ended(idle), ended(served))
                print(took)
                """])
            let lines = result.standardOutput.split(separator: "\n")
            #expect(result.status == 0, "\(result.standardError)")
            // Two of 127.0.0.1's 130 were evicted, among its oldest (connections are registered
            // by several event loops, so not strictly in connect order); 127.0.0.2's ten stayed.
            let evictions = lines.first?.split(separator: " ").compactMap { Int($0) } ?? []
            #expect(evictions.count == 3 && evictions[0] == 2 && evictions[1] < 16 && evictions[2] == 0, "\(lines)")
            #expect(lines.dropFirst().first == "HTTP/1.1 200 OK")
            // Idle for 10 s: reset if it never completed a request, closed in order if it did.
            #expect(lines.dropFirst(2).first == "reset closed", "\(lines)")
            #expect(lines.last.flatMap { Int($0) }.map { (9...13).contains($0) } == true, "\(lines)")
        }
    }

    /// An unprivileged user binding 127.0.0.2–.5 holds all 512 connections idle (128 from each
    /// address, each at its per-address limit): scrapes from 127.0.0.1 are still answered,
    /// each taking the place of the least recently active idle connection, which is reset.
    @Test func aScrapeGetsInWhileOtherAddressesHoldEveryConnection() async throws {
        try await Self.withEndpoint(listen: "0.0.0.0:\(Self.port)") { namespace in
            let result = try namespace.run(ControlAdversary.asNobody + ["/usr/bin/python3", "-c", Self.connections + """
                held = [connect("127.0.0.%d" % (2 + i // 128)) for i in range(512)]
                time.sleep(0.5)
                print(sum(bool(ended(s)) for s in held))
                statuses, scrapes = [], []
                for _ in range(5):
                    # Kept open: each scrape holds a slot, so each one evicts a held connection.
                    scrape = connect("127.0.0.1")
                    scrape.settimeout(5)
                    scrape.sendall(b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                    statuses.append(scrape.recv(64).split(b"\\r\\n")[0].decode().replace(" ", "_"))
                    scrapes.append(scrape)
                print(" ".join(statuses))
                time.sleep(0.5)
                outcomes = [ended(s) for s in held]
                print(outcomes.count("reset"), outcomes.count("closed"))
                """])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n").map(String.init)
            print("512 held from 127.0.0.2-5, scrapes from 127.0.0.1: \(lines)")
            // All 512 held, then five scrapes answered, five held connections reset (none
            // closed gracefully).
            #expect(lines == ["0", Array(repeating: "HTTP/1.1_200_OK", count: 5).joined(separator: " "), "5 0"])
            #expect(try Self.timeWait(on: Self.port, in: namespace) == 0)
        }
    }

    /// An eviction storm from one address — 2000 connections from 127.0.0.1 while it holds
    /// its 128, each new one evicting its oldest (1800 waited for) — leaves no TIME_WAIT on
    /// the endpoint's port: evicted connections are reset, not closed first by twmond.
    @Test func anEvictionStormLeavesNoTimeWaitOnTheEndpointsPort() async throws {
        try await Self.withEndpoint(listen: "127.0.0.1:\(Self.port)") { namespace in
            let result = try namespace.run(ControlAdversary.asNobody + ["/usr/bin/python3", "-c", """
                import collections, socket, time
                held = collections.deque()
                resets = closed = 0
                started = time.monotonic()
                for _ in range(2000):
                    held.append(socket.create_connection(("127.0.0.1", \(Self.port))))
                    while len(held) > 200:
                        # 200 newer ones were made, 128 are kept: this one is being evicted.
                        old = held.popleft()
                        old.settimeout(5)
                        try:
                            if old.recv(1) == b"": closed += 1
                        except ConnectionResetError:
                            resets += 1
                        except socket.timeout:
                            pass
                        old.close()
                print(resets, closed, round(time.monotonic() - started, 1))
                """])
            #expect(result.status == 0, "\(result.standardError)")
            let figures = result.standardOutput.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            let timeWait = try Self.timeWait(on: Self.port, in: namespace)
            print("eviction storm: resets, graceful closes, seconds \(figures); TIME_WAIT on \(Self.port): \(timeWait)")
            #expect(figures.count == 3 && figures[0] >= 1_790 && figures[1] == 0, "\(result.standardOutput)")
            #expect(timeWait == 0)
            // twmond still answers.
            #expect(try MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: Self.port).metrics().status == 200)
        }
    }

    /// Runs `body` with twmond serving metrics on `listen` in a fresh namespace, once it has
    /// answered a scrape from 127.0.0.1.
    static func withEndpoint(listen: String, _ body: (ScratchNamespace) throws -> Void) async throws {
        try await OwnThread.run {
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            let directory = try TemporaryDirectory()
            _ = try startDaemon(in: namespace, directory: directory, listen: listen)
            _ = try MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: port).waitForMetrics()
            try body(namespace)
        }
    }

    /// Python for the tests' own connections to the endpoint: `connect(source)` from a source
    /// address, and `ended(s)`: False while open, else "reset" or "closed" (an orderly close).
    static let connections = """
        import select, socket, time
        def connect(source):
            s = socket.socket()
            s.bind((source, 0))
            s.connect(("127.0.0.1", \(port)))
            return s
        def ended(s):
            if not select.select([s], [], [], 0)[0]: return False
            try:
                return "closed" if s.recv(1) == b"" else False
            except ConnectionResetError:
                return "reset"

        """

    /// TIME_WAIT sockets whose local port is `port` in `namespace` (`ss`).
    static func timeWait(on port: Int, in namespace: ScratchNamespace) throws -> Int {
        try namespace.check(["ss", "-tanH", "state", "time-wait", "( sport = :\(port) )"]).standardOutput
            .split(separator: "\n").count
    }
}
