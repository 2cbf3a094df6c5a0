import ArgumentParser
import Glibc
import Logging
import ServiceLifecycle
import TWMonCore
import TWMonDaemon
import TWMonSystem
import UnixSignals

/// `twmond`: watches the TCP sockets of its network namespace and reports server ports that
/// pile up TIME_WAIT, through the journal, sd_notify and a Varlink control socket.
@main
struct TWMonDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twmond",
        abstract: "Watch TCP TIME_WAIT per server port; alert through journald and systemd.",
        discussion: """
            Alert kinds: time_wait (a server port closes first), close_wait (old CLOSE_WAIT \
            sockets on a port), ephemeral_ports (one client destination near the end of the \
            ephemeral range), tw_buckets (TIME_WAIT total near net.ipv4.tcp_max_tw_buckets), \
            tw_overflow (the kernel destroyed TIME_WAIT sockets). \
            Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads the configuration \
            (a broken file keeps the running configuration). Exit codes: 0 clean stop, \
            1 configuration or start-up failure, 2 bad command line.
            """,
        version: TWMonVersion.current
    )

    @Option(help: ArgumentHelp("Configuration file (default \(ConfigurationLoader.defaultPath); a missing default file means built-in defaults).", valueName: "PATH"))
    var config: String?

    @Flag(name: .customLong("check-config"), help: "Validate the configuration, print the effective configuration or the errors, and exit (0 valid, 1 invalid).")
    var checkConfig = false

    @Option(name: .customLong("proc-root"), help: ArgumentHelp("Read sockets from DIR/net/tcp{,6} and the namespace figures from DIR/net/{sockstat,netstat} and DIR/sys/net/ipv4 instead of /proc (overrides scan.proc_root).", valueName: "DIR"))
    var procRoot: String?

    @Option(help: ArgumentHelp("Which network namespaces to watch: all (this one and every other a process lives in) or own (overrides scan.namespaces).", valueName: "all|own"))
    var namespaces: NamespaceMode?

    @Option(help: ArgumentHelp("Control socket path when not socket-activated (overrides control.socket).", valueName: "PATH"))
    var socket: String?

    func run() async throws {
        LargeAllocations.returnToTheKernelWhenFreed()
        let source = ConfigurationSource(
            path: config ?? ConfigurationLoader.defaultPath, required: config != nil, procRoot: procRoot, socket: socket, namespaces: namespaces
        )
        let configuration: Configuration
        do {
            configuration = try source.load()
        } catch {
            FileDescriptorOutput.standardError.writeForPeople("twmond: invalid configuration:\n" + error.problems.map { "  \(error.path.map { "\($0): " } ?? "")\($0)\n" }.joined())
            throw ExitCode(1)
        }
        if checkConfig {
            print("# effective configuration of \(TerminalText.escaped(source.path))\(source.required ? "" : " (built-in defaults where absent)")")
            print(ConfigurationRenderer.toml(configuration), terminator: "")
            return
        }

        let journal = JournalWriter()
        // One level for all loggers, so a reload of log.level reaches every service.
        let level = SharedLogLevel(MonitorEngine.level(configuration.log.level))
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, sink: journal, level: level) }
        let logger = Logger(label: "twmond")

        let notifier = SystemdNotifier()
        let store = SnapshotStore()
        let readiness = ReadinessGate(requiring: [.firstScan, .controlSocket], notifier: notifier)
        let passed: SocketActivation
        do {
            passed = try SocketActivation.passedSockets()
        } catch {
            logger.critical("cannot use the sockets systemd passed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let endpoint = ControlServer.endpoint(passed: passed, socketPath: configuration.control.socket)
        let metrics = MetricsPublisher(configuration: configuration, logger: logger)
        let engine: MonitorEngine
        do {
            engine = try MonitorEngine(
                configuration: configuration, source: source, journal: journal, notifier: notifier,
                store: store, readiness: readiness, logger: logger, sinks: [metrics]
            )
        } catch {
            logger.critical("cannot start scanning", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let poller = PollerService(
            engine: engine, notifier: notifier, watchdogInterval: SystemdNotifier.watchdogPingInterval(), logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: poller, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: ReloadService(engine: engine), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: ControlServer(store: store, readiness: readiness, endpoint: endpoint, logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup
            ),
        ]
        if let metricsEndpoint = MetricsServer.endpoint(passed: passed, listen: configuration.metrics.listen) {
            services.append(.init(
                service: MetricsServer(publisher: metrics, endpoint: metricsEndpoint, logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup
            ))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        logger.info("twmond starting", metadata: [
            "config": "\(source.path)", "source": "\(configuration.scan.source.rawValue)",
            "interval": "\(configuration.scan.interval)", "time_wait_threshold": "\(configuration.alert.timeWaitThreshold)",
        ])
        do {
            try await group.run()
        } catch {
            logger.critical("twmond stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("twmond stopped")
    }
}

extension NamespaceMode: ExpressibleByArgument {}
