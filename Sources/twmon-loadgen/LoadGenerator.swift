import ArgumentParser
import Glibc

/// `twmon-loadgen`: puts real TCP sockets into known states on this host's loopback, for the
/// tests, the benchmark and demonstrations.
///
/// It listens on a port and makes connections to it:
/// - `--time-wait N`: the server closes first, so N sockets end in TIME_WAIT on the server port;
/// - `--client-time-wait N`: the client closes first (TIME_WAIT on the clients' ports, normal);
/// - `--established N`: connections kept open (ESTABLISHED on both ends);
/// - `--close-wait N`: the client closed, the server has not (CLOSE_WAIT on the server port);
/// - `--resets N`: the server aborts with `SO_LINGER` 0 (a RST, no TIME_WAIT anywhere);
/// - `--listeners N`: N more listening sockets on the listen address, on ports the kernel
///   chooses, that nobody connects to (idle server ports, as a local user can open by the
///   thousand);
/// - `--close-rate R --duration S`: after `ready`, R connections per second the server closes
///   first, for S seconds, then `done`.
/// All clients connect from one address to one server address and port (unless
/// `--source-addresses`), with ports the kernel chooses from its ephemeral range.
/// It prints one JSON line with the listening port and what it made, then `ready`; with
/// `--hold` it keeps its sockets until SIGTERM, SIGINT or SIGHUP. SIGUSR1 makes the server
/// close its CLOSE_WAIT sockets, as an application that stops leaking would (it prints
/// `closed N CLOSE_WAIT`), and keeps the rest.
@main
struct LoadGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twmon-loadgen",
        abstract: "Create TCP sockets in TIME_WAIT, ESTABLISHED and CLOSE_WAIT on loopback."
    )

    @Option(help: "Address to listen on: 127.0.0.1, ::1, or :: for a dual-stack listener.")
    var listen = "127.0.0.1"

    @Option(help: "Address the clients connect to (default: the listen address; 127.0.0.1 for ::).")
    var connect: String?

    @Option(help: "Port to listen on (0: any free port).")
    var port: UInt16 = 0

    @Option(name: .customLong("time-wait"), help: "Connections the server closes first.")
    var timeWait = 0

    @Option(name: .customLong("client-time-wait"), help: "Connections the client closes first.")
    var clientTimeWait = 0

    @Option(help: "Connections kept open.")
    var established = 0

    @Option(name: .customLong("close-wait"), help: "Connections closed by the client only.")
    var closeWait = 0

    @Option(help: "Connections the server aborts (SO_LINGER 0: it sends a RST, no TIME_WAIT).")
    var resets = 0

    @Option(help: "Idle listening sockets to open besides the loaded one, on ports the kernel chooses.")
    var listeners = 0

    @Option(name: .customLong("source-addresses"), help: "Bind IPv4 clients to N loopback addresses from 127.0.0.1 on (127.0.0.1…127.0.0.254, then 127.0.1.0…) and ports 10000…59999 (50 000 connections per address, past the ephemeral range): N distinct peers.")
    var sourceAddresses = 1

    @Option(name: .customLong("close-rate"), help: "After ready: connections per second the server closes first, paced (see --duration); prints 'done' when they are made.")
    var closeRate = 0

    @Option(help: "Seconds the --close-rate load lasts.")
    var duration = 0.0

    @Flag(help: "Keep the listener and open sockets until SIGTERM, SIGINT or SIGHUP.")
    var hold = false

    func validate() throws {
        for (name, value) in [("--time-wait", timeWait), ("--client-time-wait", clientTimeWait),
                              ("--established", established), ("--close-wait", closeWait), ("--resets", resets),
                              ("--listeners", listeners)] where value < 0 {
            throw ValidationError("\(name) must not be negative")
        }
        if closeRate < 0 || closeRate > 100_000 { throw ValidationError("--close-rate must be 0...100000") }
        if !(duration >= 0 && duration <= 86_400) { throw ValidationError("--duration must be 0...86400 seconds") }
        if sourceAddresses < 1 || sourceAddresses > 1 << 20 { throw ValidationError("--source-addresses must be 1...1048576") }
        if LoopbackAddress(listen) == nil { throw ValidationError("cannot parse --listen \(listen)") }
        if let connect, LoopbackAddress(connect) == nil { throw ValidationError("cannot parse --connect \(connect)") }
    }

    func run() throws {
        // Held sockets and the listener go past the default limit of 1024 descriptors.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

        let listenAddress = LoopbackAddress(listen)!
        var signals = sigset_t()
        if hold {
            sigemptyset(&signals)
            for signal in [SIGTERM, SIGINT, SIGHUP, SIGUSR1] { sigaddset(&signals, signal) }
            pthread_sigmask(SIG_BLOCK, &signals, nil)
        }
        let listener = try LoopbackSocket.listener(on: listenAddress, port: port)
        let boundPort = try listener.localPort()
        var target = LoopbackAddress(connect ?? (listenAddress.isUnspecified ? "127.0.0.1" : listen))!
        target.port = boundPort

        var held: [LoopbackSocket] = []
        for _ in 0..<listeners {
            held.append(try LoopbackSocket.listener(on: listenAddress, port: 0))
        }
        var connections = 0
        func pair() throws -> (client: LoopbackSocket, server: LoopbackSocket) {
            defer { connections += 1 }
            return try self.pair(listener, target, connections)
        }
        for _ in 0..<timeWait {
            let (client, server) = try pair()
            server.close()
            client.awaitEndOfStream()
            client.close()
        }
        for _ in 0..<clientTimeWait {
            let (client, server) = try pair()
            client.close()
            server.awaitEndOfStream()
            server.close()
        }
        for _ in 0..<resets {
            let (client, server) = try pair()
            server.abort()
            client.awaitEndOfStream()
            client.close()
        }
        for _ in 0..<established {
            let (client, server) = try pair()
            held += [client, server]
        }
        var closeWaitHeld: [LoopbackSocket] = []
        for _ in 0..<closeWait {
            let (client, server) = try pair()
            client.close()
            closeWaitHeld.append(server)
        }
        let report = #"{"port":\#(boundPort),"time_wait":\#(timeWait),"client_time_wait":\#(clientTimeWait),"established":\#(established),"close_wait":\#(closeWait),"resets":\#(resets),"listeners":\#(listeners),"pid":\#(getpid())}"#
        let announcement = Array((report + "\nready\n").utf8)
        _ = announcement.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if closeRate > 0 {
            // The n-th connection at start + n / rate: a schedule, so a late one does not
            // shift the ones after it.
            let start = monotonicNanoseconds()
            let total = Int(duration * Double(closeRate))
            for index in 0..<total {
                // The held signals are blocked: look for one between connections, so that
                // SIGTERM ends a paced load at once.
                var pending = sigset_t()
                if hold, sigpending(&pending) == 0, [SIGTERM, SIGINT, SIGHUP].contains(where: { sigismember(&pending, $0) == 1 }) {
                    break
                }
                let due = start + UInt64(index) * 1_000_000_000 / UInt64(closeRate)
                var deadline = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
                while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
                let (client, server) = try pair()
                server.close()
                client.awaitEndOfStream()
                client.close()
            }
            let done = Array("done\n".utf8)
            _ = done.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        }
        if hold {
            var received: Int32 = 0
            repeat {
                sigwait(&signals, &received)
                if received == SIGUSR1 {
                    let closed = Array("closed \(closeWaitHeld.count) CLOSE_WAIT\n".utf8)
                    for socket in closeWaitHeld { socket.close() }
                    closeWaitHeld = []
                    _ = closed.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                }
            } while received == SIGUSR1
        }
        for socket in held + closeWaitHeld { socket.close() }
        listener.close()
    }

    private func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Connects the `index`-th client and accepts its server-side socket.
    ///
    /// With several source addresses every client gets its own address and port, so no new
    /// connection can land on (and recycle) a 4-tuple the server still holds in TIME_WAIT, which
    /// the kernel's own ephemeral port choice does once it wraps around its range.
    private func pair(_ listener: LoopbackSocket, _ target: LoopbackAddress, _ index: Int) throws -> (LoopbackSocket, LoopbackSocket) {
        var source: LoopbackAddress?
        if sourceAddresses > 1, target.family == AF_INET {
            let host = 1 + index % sourceAddresses
            source = LoopbackAddress("127.\(host >> 16).\(host >> 8 & 0xFF).\(host & 0xFF)")
            source!.port = UInt16(10_000 + (index / sourceAddresses) % 50_000)
        }
        let client = try LoopbackSocket.connected(to: target, from: source)
        let server = try listener.accept()
        return (client, server)
    }
}
