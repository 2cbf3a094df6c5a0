import Foundation
import Glibc
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import TWMonCore
import TWMonDaemon
import TWMonSystem

/// The control socket served for real, in-process, on a temporary Unix socket: every method
/// through a real connection, and every kind of abuse answered by an error or a closed
/// connection in bounded time, with a well-behaved client still answered afterwards.
@Suite("Control socket server")
struct ControlServerTests {
    private static let getInfo = #"{"method":"org.varlink.service.GetInfo"}"#
    private static let fast: ConnectionLimits = {
        var limits = ConnectionLimits()
        limits.idleTimeout = .milliseconds(500)
        return limits
    }()

    /// The reply `MonitorService` computes for `call` on `snapshot`, NUL stripped.
    private func expected(_ call: String, snapshot: MonitorSnapshot? = ControlServerHarness.snapshot()) -> String {
        guard case .send(let bytes) = MonitorService.respond(to: Array(call.utf8), snapshot: snapshot, now: ControlServerHarness.now) else {
            return "(no reply)"
        }
        return String(decoding: bytes.dropLast(), as: UTF8.self)
    }

    /// A fresh well-behaved client gets its GetInfo reply.
    private func assertStillServing(_ path: String) throws {
        let client = try UnixTestClient(path: path)
        client.call(Self.getInfo)
        #expect(client.receive() == .message(expected(Self.getInfo)))
    }

    @Test func everyMethodOverARealSocket() async throws {
        try await ControlServerHarness.run { context in
            let client = try VarlinkClient(path: context.path)
            let calls: [(String, [(key: String, value: JSONValue)])] = [
                ("org.varlink.service.GetInfo", []),
                ("org.varlink.service.GetInterfaceDescription", [("interface", .string("org.varlink.service"))]),
                ("org.varlink.service.GetInterfaceDescription", [("interface", .string("io.twmon.Monitor"))]),
                ("io.twmon.Monitor.GetStatus", []),
                ("io.twmon.Monitor.ListPorts", []),
                ("io.twmon.Monitor.ListPorts", [("listeningOnly", .bool(true)), ("state", .string("TIME_WAIT")), ("limit", .integer(1))]),
                ("io.twmon.Monitor.ListAlerts", []),
            ]
            for (method, parameters) in calls {
                let reply = try client.call(method, parameters: parameters)
                let call = String(decoding: VarlinkCall(method: method, parameters: parameters).message, as: UTF8.self)
                let wanted = try JSONValue.parse(Array(expected(call).utf8))["parameters"]
                #expect(reply == wanted, "\(method)")
            }
            #expect(throws: VarlinkClientError.remote(name: "org.varlink.service.MethodNotFound", parameters: .object([("method", .string("io.twmon.Monitor.Reboot"))]))) {
                try client.call("io.twmon.Monitor.Reboot")
            }
            // The same connection goes on serving after an error reply.
            #expect(try client.call("io.twmon.Monitor.GetStatus")["scan_count"] == .integer(7))
        }
    }

    @Test func theLatestSnapshotIsServedAndNotReadyBeforeTheFirst() async throws {
        try await ControlServerHarness.run(snapshot: nil) { context in
            let client = try VarlinkClient(path: context.path)
            #expect(throws: VarlinkClientError.remote(name: "io.twmon.Monitor.NotReady", parameters: .object([]))) {
                try client.call("io.twmon.Monitor.GetStatus")
            }
            #expect(try client.call("org.varlink.service.GetInfo")["product"] == .string("twmond"))
            var snapshot = ControlServerHarness.snapshot()
            snapshot.scanCount = 99
            context.store.publish(snapshot)
            #expect(try client.call("io.twmon.Monitor.GetStatus")["scan_count"] == .integer(99))
        }
    }

    @Test func theSocketIsWorldConnectable() async throws {
        try await ControlServerHarness.run { context in
            var info = stat()
            #expect(stat(context.path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o666)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
        }
    }

    @Test func pipelinedCallsAreAnsweredInOrder() async throws {
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            let calls = [Self.getInfo, #"{"method":"io.twmon.Monitor.ListAlerts"}"#, #"{"method":"x.y.Z"}"#, #"{"method":"io.twmon.Monitor.GetStatus"}"#]
            client.send(calls.map { Array($0.utf8) + [0] }.joined().map { $0 })
            for call in calls {
                #expect(client.receive() == .message(expected(call)))
            }
        }
    }

    @Test func aOnewayCallGetsNoReply() async throws {
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            client.call(#"{"method":"io.twmon.Monitor.GetStatus","oneway":true}"#)
            client.call(Self.getInfo)
            #expect(client.receive() == .message(expected(Self.getInfo)))
        }
    }

    @Test func aCallWithWrongMembersGetsAnErrorAndTheConnectionStays() async throws {
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            client.call(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":"all"}}"#)
            #expect(client.receive() == .message(#"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"limit"}}"#))
            client.call(#"{"method":["GetInfo"]}"#)
            #expect(client.receive() == .message(#"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"method"}}"#))
            client.call(Self.getInfo)
            #expect(client.receive() == .message(expected(Self.getInfo)))
        }
    }

    /// Byte sequences that are not Varlink calls, each NUL-terminated.
    private static let garbage: [[UInt8]] = [
        Array("hello twmond\0".utf8),
        Array(#"{"method":"org.varlink.service.GetInfo""#.utf8) + [0],
        Array("[1,2,3]\0".utf8),
        [0],
        [0xFF, 0xFE, 0x00, 0x13, 0x37, 0x00],
        (0..<4_096).map { (index: Int) -> UInt8 in UInt8(truncatingIfNeeded: index &* 7_919 &+ 13) } + [0],
    ]

    @Test(arguments: garbage)
    func garbageClosesTheConnection(_ bytes: [UInt8]) async throws {
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            client.send(bytes)
            #expect(client.receive(timeout: .seconds(2)) == .closed)
            try assertStillServing(context.path)
        }
    }

    @Test func aMessageOver64KiBClosesTheConnection() async throws {
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            // 70 KiB without a NUL: the server must not wait for the end of it.
            let started = ContinuousClock.now
            client.send([UInt8](repeating: UInt8(ascii: "x"), count: 70 * 1024))
            #expect(client.receive(timeout: .seconds(2)) == .closed)
            #expect(ContinuousClock.now - started < .seconds(2))
            // The same with a valid-looking call whose parameters are too long.
            let long = try UnixTestClient(path: context.path)
            long.call(#"{"method":"org.varlink.service.GetInfo","parameters":{"pad":""# + String(repeating: "a", count: 70 * 1024) + #""}}"#)
            #expect(long.receive(timeout: .seconds(2)) == .closed)
            try assertStillServing(context.path)
        }
    }

    /// What an idle client did before falling silent.
    enum Silence: CaseIterable {
        /// Connected and sent nothing.
        case fromTheStart
        /// Sent a call without its NUL.
        case afterAnUnfinishedCall
        /// Got an answer, then stopped (an answered call restarts the idle time).
        case afterAnAnsweredCall
    }

    @Test(arguments: Silence.allCases)
    func anIdleClientIsClosed(_ silence: Silence) async throws {
        try await ControlServerHarness.run(limits: Self.fast) { context in
            let client = try UnixTestClient(path: context.path)
            switch silence {
            case .fromTheStart: break
            case .afterAnUnfinishedCall: client.send(Self.getInfo)
            case .afterAnAnsweredCall:
                client.call(Self.getInfo)
                #expect(client.receive() == .message(expected(Self.getInfo)))
            }
            let started = ContinuousClock.now
            #expect(client.receive(timeout: .seconds(5)) == .closed)
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(400) && waited < .seconds(3))
            try assertStillServing(context.path)
        }
    }

    /// Bytes dripping in without ever completing a call do not keep a connection alive.
    @Test func aDripFeedingClientIsClosedWhenIdle() async throws {
        try await ControlServerHarness.run(limits: Self.fast) { context in
            let client = try UnixTestClient(path: context.path)
            let started = ContinuousClock.now
            var closed = false
            for _ in 0..<50 where !closed {
                closed = !client.send(" ") || client.receive(timeout: .milliseconds(100)) == .closed
            }
            #expect(closed)
            #expect(ContinuousClock.now - started < .seconds(3))
            try assertStillServing(context.path)
        }
    }

    /// One UID (this test's) opening 300 connections at once: it holds at most its per-UID
    /// limit, and each connection past it closes that UID's least recently active idle one,
    /// so the newest 128 are answered and the oldest 172 closed, none left waiting.
    @Test func aUserOverItsLimitLosesItsOldestIdleConnections() async throws {
        // Only evictions may close a connection here: on a loaded machine accepting all 300
        // can take longer than the default idle timeout (10 s), which would close the
        // newest 128 too and tell nothing about eviction order.
        var patient = ConnectionLimits()
        patient.idleTimeout = .seconds(120)
        patient.maximumLifetime = .seconds(300)
        try await ControlServerHarness.run(limits: patient) { context in
            let limit = ConnectionLimits().maximumConnectionsPerPeer
            #expect(limit == 128)
            do {
                var clients: [UnixTestClient] = []
                for _ in 0..<300 {
                    clients.append(try UnixTestClient(path: context.path))
                    // Admitted in connection order, so "oldest" is well defined.
                    usleep(1_000)
                }
                // Evictions are throttled (400 a second after a burst of 100): let the server
                // accept all before anyone calls, or an early connection is answered first. All
                // are accepted once 172 have been hung up on (a loaded machine may take seconds).
                let accepting = ContinuousClock.now
                while clients.count(where: { $0.waitForHangUp(timeout: .zero) }) < 300 - limit,
                      ContinuousClock.now - accepting < .seconds(20) {
                    usleep(100_000)
                }
                usleep(200_000)
                for client in clients { client.call(Self.getInfo) }
                var outcomes: [UnixTestClient.Outcome] = []
                let started = ContinuousClock.now
                for client in clients {
                    outcomes.append(client.receive(timeout: .seconds(10)))
                }
                #expect(outcomes.count { $0 == .closed } == 300 - limit)
                #expect(outcomes.count { $0 == .message(expected(Self.getInfo)) } == limit)
                // The oldest went first. Connections are set up on two event loops, and on a
                // loaded machine one loop can run behind the other, so connections near the
                // boundary may swap; eviction in any other order (say, at random: about 99 of
                // the oldest 172) fails this.
                let oldestClosed = outcomes.prefix(300 - limit).count { $0 == .closed }
                let newestAnswered = outcomes.suffix(limit).count { $0 == .message(expected(Self.getInfo)) }
                #expect(oldestClosed >= 300 - limit - 24, "\(oldestClosed) of the oldest \(300 - limit) closed")
                #expect(newestAnswered >= limit - 24, "\(newestAnswered) of the newest \(limit) answered")
                // None was left waiting: 128 answers and 172 hang-ups, not 300 timeouts.
                #expect(ContinuousClock.now - started < .seconds(10))
            }
            // Once they are gone, the server takes new clients again.
            try ControlServerHarness.waitUntil {
                guard let client = try? UnixTestClient(path: context.path) else { return false }
                client.call(Self.getInfo)
                return client.receive(timeout: .seconds(1)) == .message(expected(Self.getInfo))
            }
        }
    }

    /// A client calling every 0.3 s never lets its idle timer (0.5 s) run out, but the
    /// connection still ends at its maximum lifetime (1.5 s here): answers up to then, the end
    /// after, and a new connection is served as usual.
    @Test func aBusyConnectionEndsAtItsMaximumLifetime() async throws {
        var limits = Self.fast
        limits.maximumLifetime = .milliseconds(1_500)
        try await ControlServerHarness.run(limits: limits) { context in
            let client = try UnixTestClient(path: context.path)
            let started = ContinuousClock.now
            var answered = 0
            var ended: Duration?
            while ended == nil && ContinuousClock.now - started < .seconds(6) {
                client.call(Self.getInfo)
                switch client.receive(timeout: .seconds(2)) {
                case .message(let reply):
                    #expect(reply == expected(Self.getInfo))
                    answered += 1
                    usleep(300_000)
                case .closed, .timedOut:
                    ended = ContinuousClock.now - started
                }
            }
            #expect(answered >= 3)
            #expect(ended.map { $0 >= .milliseconds(1_400) && $0 < .seconds(3) } == true, "\(String(describing: ended))")
            try assertStillServing(context.path)
        }
    }

    /// A client that sends calls and never reads its replies costs bounded memory: the server
    /// stops reading from it, closes it when idle, and serves everyone else meanwhile.
    @Test func aClientThatNeverReadsIsThrottledAndClosed() async throws {
        try await ControlServerHarness.run(snapshot: ControlServerHarness.snapshot(extraPorts: 2_000), limits: Self.fast) { context in
            let greedy = try UnixTestClient(path: context.path)
            var socketBuffer: Int32 = 4_096
            setsockopt(greedy.descriptor, SOL_SOCKET, SO_RCVBUF, &socketBuffer, socklen_t(MemoryLayout<Int32>.size))
            // Each reply is ~200 KB; 300 calls would be 60 MB if all were answered.
            let call = Array(#"{"method":"io.twmon.Monitor.ListPorts"}"#.utf8) + [0]
            #expect(fcntl(greedy.descriptor, F_SETFL, fcntl(greedy.descriptor, F_GETFL) | O_NONBLOCK) == 0)
            let sentCalls = (0..<300).count { _ in greedy.send(call) }
            try assertStillServing(context.path)
            // Throttled after the first reply, it completes no further call and is closed as
            // idle, while its replies still sit unread.
            let started = ContinuousClock.now
            #expect(greedy.waitForHangUp(timeout: .seconds(5)))
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(sentCalls > 0)
        }
    }

    @Test func aHalfClosingClientGetsItsRepliesThenTheEnd() async throws {
        try await ControlServerHarness.run { context in
            let client = try UnixTestClient(path: context.path)
            client.call(Self.getInfo)
            client.call(#"{"method":"io.twmon.Monitor.ListPorts"}"#)
            client.finishSending()
            #expect(client.receive() == .message(expected(Self.getInfo)))
            #expect(client.receive() == .message(expected(#"{"method":"io.twmon.Monitor.ListPorts"}"#)))
            #expect(client.receive(timeout: .seconds(2)) == .closed)
        }
    }

    @Test func aStaleSocketFileIsReplaced() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("stale.sock")
        // A socket file left behind by a process that died without removing it.
        close(try UnixTestClient.boundSocket(at: path, listening: false))
        try await ControlServerHarness.run(endpoint: .path(path)) { _ in
            try assertStillServing(path)
        }
    }

    @Test func aRegularFileInTheWayIsAnError() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notasocket")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        let server = ControlServer(
            store: SnapshotStore(), readiness: ReadinessGate(requiring: [.controlSocket], notifier: SystemdNotifier()), endpoint: .path(path)
        )
        await #expect(throws: ConnectionServerError.self) { try await server.run() }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    /// A listening socket handed over as systemd does (an open descriptor) is served, and its
    /// file is left alone at shutdown: whoever bound it owns it.
    @Test func anInheritedListeningSocketIsServedAndItsFileKept() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("activated.sock")
        let descriptor = try UnixTestClient.boundSocket(at: path, listening: true)
        try await ControlServerHarness.run(endpoint: .activated(descriptor: descriptor)) { _ in
            let client = try VarlinkClient(path: path)
            #expect(try client.call("io.twmon.Monitor.GetStatus")["scan_count"] == .integer(7))
        }
        #expect(access(path, F_OK) == 0)
    }

    @Test func gracefulShutdownClosesTheListenerAndOpenConnections() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("twmond.sock")
        let store = SnapshotStore()
        store.publish(ControlServerHarness.snapshot())
        let readiness = ReadinessGate(requiring: [.controlSocket], notifier: SystemdNotifier())
        let server = ControlServer(store: store, readiness: readiness, endpoint: .path(path))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: OwnThread()) { try await server.run() }
                let connected = try await OwnThread.run {
                    try ControlServerHarness.waitUntil { readiness.isReady }
                    let client = try UnixTestClient(path: path)
                    client.call(Self.getInfo)
                    #expect(client.receive() == .message(expected(Self.getInfo)))
                    return client
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
                try await OwnThread.run {
                    #expect(connected.receive(timeout: .seconds(2)) == .closed)
                    #expect(access(path, F_OK) != 0)
                    #expect(throws: (any Error).self) { try UnixTestClient(path: path) }
                }
            }
        }
    }
}
