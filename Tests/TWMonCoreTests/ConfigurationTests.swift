import Foundation
import Testing
@testable import TWMonCore

/// The configuration file shipped in the repository (`config/twmond.toml`).
private let shippedConfigurationURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // TWMonCoreTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // repository root
    .appendingPathComponent("config/twmond.toml")

/// The problems `text` is refused with (none when it parses).
private func problems(_ text: String) -> [ConfigurationProblem] {
    do {
        _ = try ConfigurationParser.parse(text)
        return []
    } catch {
        return error.problems
    }
}

/// The keys of the problems `text` is refused with.
private func problemKeys(_ text: String) -> [String] {
    problems(text).map(\.key)
}

/// A configuration with every key changed from its default and two port overrides.
private func customConfiguration() -> Configuration {
    var expected = Configuration()
    expected.scan.interval = 0.5
    expected.scan.source = .netlink
    expected.scan.procRoot = "/srv/captured/proc"
    expected.alert.timeWaitThreshold = 20_000
    expected.alert.clearRatio = 0.25
    expected.alert.sustain = 6
    expected.alert.repeatInterval = 900
    expected.alert.topPeers = 0
    expected.alert.twBucketsRatio = 0
    expected.ports = [
        8080: Configuration.PortOverride(timeWaitThreshold: 50_000, clearRatio: 0.9, sustain: 10),
        9100: Configuration.PortOverride(ignore: true),
        443: Configuration.PortOverride(timeWaitThreshold: 1_000),
        65535: Configuration.PortOverride(),
    ]
    expected.control.socket = "/run/twmon/control.sock"
    expected.metrics.textfile = "/var/lib/prometheus/node-exporter/twmond.prom"
    expected.metrics.listen = "[::1]:19632"
    expected.metrics.clientPorts = 0
    expected.log.level = "debug"
    return expected
}

@Suite("Configuration")
struct ConfigurationTests {
    // MARK: Valid files

    @Test func shippedFileIsExactlyTheDefaults() throws {
        let text = try String(contentsOf: shippedConfigurationURL, encoding: .utf8)
        let parsed = try ConfigurationParser.parse(text, path: shippedConfigurationURL.path)
        #expect(parsed == Configuration())
    }

    @Test func emptyFileIsTheDefaults() throws {
        #expect(try ConfigurationParser.parse("") == Configuration())
        #expect(try ConfigurationParser.parse("# nothing\n\n[scan]\n[alert]\n[control]\n[log]\n") == Configuration())
    }

    @Test func builtInDefaults() {
        let defaults = Configuration()
        #expect(defaults.scan.interval == 5)
        #expect(defaults.scan.source == .auto)
        #expect(defaults.scan.procRoot == "/proc")
        #expect(defaults.alert.timeWaitThreshold == 5_000)
        #expect(defaults.alert.clearRatio == 0.8)
        #expect(defaults.alert.sustain == 3)
        #expect(defaults.alert.repeatInterval == 3_600)
        #expect(defaults.alert.topPeers == 5)
        #expect(defaults.alert.twBucketsRatio == 0.8)
        #expect(defaults.ports.isEmpty)
        #expect(defaults.control.socket == "/run/twmond.sock")
        #expect(defaults.log.level == "info")
    }

    @Test func fullFileWithPortOverrides() throws {
        let text = """
            [scan]
            interval = 0.5
            source = "netlink"
            proc_root = "/srv/captured/proc"

            [alert]
            time_wait_threshold = 20000
            clear_ratio = 0.25
            sustain = 6
            repeat = 900          # an integer where a float is expected is fine
            top_peers = 0
            tw_buckets_ratio = 0

            [ports.8080]
            time_wait_threshold = 50000
            clear_ratio = 0.9
            sustain = 10

            [ports.9100]
            ignore = true

            [ports.443]
            time_wait_threshold = 1000
            ignore = false

            [ports.65535]

            [control]
            socket = "/run/twmon/control.sock"

            [metrics]
            textfile = "/var/lib/prometheus/node-exporter/twmond.prom"
            listen = "[::1]:19632"
            client_ports = 0

            [log]
            level = "debug"
            """
        #expect(try ConfigurationParser.parse(text) == customConfiguration())
    }

    @Test func eventsSourceIsNoneOrEBPF() throws {
        #expect(Configuration().events.source == EventSourceKind.none)
        #expect(try ConfigurationParser.parse("[events]\nsource = \"ebpf\"\n").events.source == .ebpf)
        #expect(try ConfigurationParser.parse("[events]\nsource = \"none\"\n").events.source == EventSourceKind.none)
        #expect(throws: ConfigurationError.self) { try ConfigurationParser.parse("[events]\nsource = \"bpf\"\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationParser.parse("[events]\nsources = \"ebpf\"\n") }
        var ebpf = Configuration()
        ebpf.events.source = .ebpf
        #expect(try ConfigurationParser.parse(ConfigurationRenderer.toml(ebpf)) == ebpf)
    }

    @Test func partialFileKeepsDefaultsForMissingKeys() throws {
        var expected = Configuration()
        expected.alert.sustain = 1
        expected.ports[22] = Configuration.PortOverride(sustain: 2)
        #expect(try ConfigurationParser.parse("[alert]\nsustain = 1\n[ports.22]\nsustain = 2\n") == expected)
    }

    @Test("boundary values are accepted", arguments: [
        "[scan]\ninterval = 0.1", "[scan]\ninterval = 3600", "[alert]\ntime_wait_threshold = 1",
        "[alert]\nclear_ratio = 1", "[alert]\nclear_ratio = 0.001", "[alert]\nsustain = 1", "[alert]\nrepeat = 0",
        "[alert]\ntop_peers = 0", "[alert]\ntop_peers = 100", "[alert]\ntw_buckets_ratio = 1", "[ports.1]", "[ports.65535]",
        "[log]\nlevel = \"critical\"", "[log]\nlevel = \"trace\"",
    ] as [String])
    func boundaryValuesAreAccepted(text: String) {
        #expect(problems(text) == [])
    }

    // MARK: Errors, each naming its key

    @Test func syntaxErrorNamesLineAndColumn() throws {
        let text = "[scan]\ninterval = 5\nsource = = \"proc\"\n"
        let error = try #require(throws: ConfigurationError.self) { try ConfigurationParser.parse(text, path: "/etc/twmond/twmond.toml") }
        #expect(error.path == "/etc/twmond/twmond.toml")
        #expect(error.problems.count == 1)
        let problem = try #require(error.problems.first)
        #expect(problem.key == "line 3, column 10")
        #expect(problem.message.hasPrefix("TOML syntax"))
        #expect(error.description.hasPrefix("/etc/twmond/twmond.toml: line 3, column 10: TOML syntax"))
    }

    @Test("unknown keys are errors", arguments: [
        ("interval = 5", "interval"),
        ("[scna]\ninterval = 5", "scna"),
        ("[scan]\nintervall = 5", "scan.intervall"),
        ("[alert]\nthreshold = 100", "alert.threshold"),
        ("[alert.extra]\nx = 1", "alert.extra"),
        ("[ports.8080]\nthreshold = 100", "ports.8080.threshold"),
        ("[control]\npath = \"/run/x.sock\"", "control.path"),
        ("[log]\nlevel = \"info\"\nformat = \"json\"", "log.format"),
    ] as [(String, String)])
    func unknownKey(text: String, key: String) {
        let found = problems(text)
        #expect(found.map(\.key) == [key])
        #expect(found.first?.message == "unknown key")
    }

    @Test("values of the wrong type are errors", arguments: [
        ("[alert]\ntime_wait_threshold = \"5000\"", "alert.time_wait_threshold"),
        ("[alert]\ntime_wait_threshold = 5000.0", "alert.time_wait_threshold"),
        ("[alert]\nsustain = 2.5", "alert.sustain"),
        ("[alert]\ntop_peers = true", "alert.top_peers"),
        ("[scan]\ninterval = \"5s\"", "scan.interval"),
        ("[alert]\nclear_ratio = \"0.8\"", "alert.clear_ratio"),
        ("[alert]\nrepeat = [3600]", "alert.repeat"),
        ("[scan]\nsource = 1", "scan.source"),
        ("[scan]\nproc_root = false", "scan.proc_root"),
        ("[control]\nsocket = 1", "control.socket"),
        ("[log]\nlevel = 3", "log.level"),
        ("[ports.8080]\nignore = \"yes\"", "ports.8080.ignore"),
        ("[ports.8080]\nignore = 1", "ports.8080.ignore"),
        ("[ports.8080]\ntime_wait_threshold = 1.5", "ports.8080.time_wait_threshold"),
        ("[ports.8080]\nsustain = \"3\"", "ports.8080.sustain"),
        ("[ports.8080]\nclear_ratio = \"half\"", "ports.8080.clear_ratio"),
        ("scan = 5", "scan"),
        ("alert = \"high\"", "alert"),
        ("log = []", "log"),
    ] as [(String, String)])
    func wrongType(text: String, key: String) {
        #expect(problemKeys(text) == [key])
    }

    @Test("an integer is accepted where a float is expected", arguments: [
        "[scan]\ninterval = 1", "[alert]\nclear_ratio = 1", "[alert]\nrepeat = 60", "[alert]\ntw_buckets_ratio = 0",
        "[ports.80]\nclear_ratio = 1",
    ] as [String])
    func integerWhereFloat(text: String) {
        #expect(problems(text) == [])
    }

    @Test func integerWhereFloatKeepsItsValue() throws {
        let parsed = try ConfigurationParser.parse("[scan]\ninterval = 2\n[alert]\nrepeat = 60\n[ports.80]\nclear_ratio = 1\n")
        #expect(parsed.scan.interval == 2)
        #expect(parsed.alert.repeatInterval == 60)
        #expect(parsed.ports[80]?.clearRatio == 1)
    }

    @Test("values out of range are errors", arguments: [
        ("[scan]\ninterval = 0.05", "scan.interval"),
        ("[scan]\ninterval = 0", "scan.interval"),
        ("[scan]\ninterval = 3601", "scan.interval"),
        ("[scan]\ninterval = -5", "scan.interval"),
        ("[scan]\ninterval = inf", "scan.interval"),
        ("[scan]\ninterval = nan", "scan.interval"),
        ("[alert]\ntime_wait_threshold = 0", "alert.time_wait_threshold"),
        ("[alert]\ntime_wait_threshold = -1", "alert.time_wait_threshold"),
        ("[alert]\nclear_ratio = 0", "alert.clear_ratio"),
        ("[alert]\nclear_ratio = 1.5", "alert.clear_ratio"),
        ("[alert]\nclear_ratio = -0.5", "alert.clear_ratio"),
        ("[alert]\nsustain = 0", "alert.sustain"),
        ("[alert]\nrepeat = -1", "alert.repeat"),
        ("[alert]\nrepeat = -0.5", "alert.repeat"),
        ("[alert]\ntop_peers = 101", "alert.top_peers"),
        ("[alert]\ntop_peers = -1", "alert.top_peers"),
        ("[alert]\ntw_buckets_ratio = 2", "alert.tw_buckets_ratio"),
        ("[alert]\ntw_buckets_ratio = -0.1", "alert.tw_buckets_ratio"),
        ("[ports.8080]\ntime_wait_threshold = 0", "ports.8080.time_wait_threshold"),
        ("[ports.8080]\nclear_ratio = 0", "ports.8080.clear_ratio"),
        ("[ports.8080]\nclear_ratio = 1.5", "ports.8080.clear_ratio"),
        ("[ports.8080]\nsustain = 0", "ports.8080.sustain"),
    ] as [(String, String)])
    func outOfRange(text: String, key: String) {
        #expect(problemKeys(text) == [key])
    }

    @Test("enumerated values outside their set are errors", arguments: [
        ("[scan]\nsource = \"ebpf\"", "scan.source"),
        ("[scan]\nsource = \"PROC\"", "scan.source"),
        ("[scan]\nsource = \"\"", "scan.source"),
        ("[log]\nlevel = \"verbose\"", "log.level"),
        ("[log]\nlevel = \"INFO\"", "log.level"),
        ("[log]\nlevel = \"warn\"", "log.level"),
    ] as [(String, String)])
    func badEnum(text: String, key: String) {
        #expect(problemKeys(text) == [key])
    }

    @Test("paths must be absolute", arguments: [
        ("[scan]\nproc_root = \"proc\"", "scan.proc_root"),
        ("[scan]\nproc_root = \"./proc\"", "scan.proc_root"),
        ("[scan]\nproc_root = \"\"", "scan.proc_root"),
        ("[control]\nsocket = \"twmond.sock\"", "control.socket"),
        ("[control]\nsocket = \"run/twmond.sock\"", "control.socket"),
        ("[control]\nsocket = \"\"", "control.socket"),
    ] as [(String, String)])
    func nonAbsolutePath(text: String, key: String) {
        let found = problems(text)
        #expect(found.map(\.key) == [key])
        #expect(found.first?.message.hasPrefix("must be an absolute path") == true)
    }

    /// `@name` would pass for an abstract socket but bind a file named `@name`: refused.
    @Test func abstractControlSocketsAreRefused() {
        let found = problems("[control]\nsocket = \"@twmond\"")
        #expect(found == [ConfigurationProblem(
            key: "control.socket", message: "abstract sockets (@name) are not supported; give an absolute path, got \"@twmond\""
        )])
    }

    /// The TOML parser sees a C string: a NUL would end the file early and hide what follows.
    @Test(arguments: [
        ("\0", "line 1, column 1"), ("[alert]\nsustain = 1\n\0colour = 1\n", "line 3, column 1"),
        ("[alert]\nsustain = 1 # x\0\n", "line 2, column 16"), ("# é\0", "line 1, column 5"),
    ])
    func aNulByteIsAnError(text: String, position: String) {
        #expect(problems(text) == [ConfigurationProblem(key: position, message: "NUL byte in the file")])
    }

    /// Headers that made toml++ abort the process (a failed assertion, found by the config
    /// fuzz target): reported as syntax errors, and the test process survives them.
    @Test(arguments: [
        ("[+can]\ninterval = 0\n", "line 1, column 2"),
        ("[[!x]]\n", "line 1, column 3"),
        ("[ #x]\n", "line 1, column 3"),
        ("[alert]\nsustain = 1\n  [  ,x]\n", "line 3, column 6"),
        ("colour = \"blue\"\n[+can]\ninterval = 0\n[ports.\"080\"]\nignore = 1\n[ports.http]\n[control]\u{08}socket = \"@x\"\n", "line 2, column 2"),
        ("[\n", "line 1, column 2"),
    ])
    func headersTheTOMLLibraryWouldAbortOn(text: String, position: String) {
        #expect(problems(text) == [ConfigurationProblem(
            key: position, message: "TOML syntax: a table name must start with a letter, digit, '-', '_' or a quote"
        )])
    }

    /// A '}' inside an array made toml++ fail `!is_value_terminator(*cp)` and abort (found by
    /// the config fuzz target in a fresh clone's `make test`); a ']' inside an inline table is
    /// refused the same way. Reported as syntax errors at the bracket.
    @Test(arguments: [
        ("x = [}\n", "line 1, column 6", "'}' inside an array opened with '['"),
        ("[scan]\ninterval = [1, }]\n", "line 2, column 16", "'}' inside an array opened with '['"),
        ("x = [[}]]\n", "line 1, column 7", "'}' inside an array opened with '['"),
        ("x = {a=[}]}\n", "line 1, column 9", "'}' inside an array opened with '['"),
        ("x = {a = ]}\n", "line 1, column 10", "']' inside an inline table opened with '{'"),
        (
            "colour = \"blue\"\n[scan]\ninterval = [}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}m}}}}}}}}}}}}}}}}}}}/}}}}}}}}}p]\n[control]\nsocket =\"\"@x\"\n",
            "line 3, column 13", "'}' inside an array opened with '['"
        ),
    ])
    func mismatchedBracketsTheTOMLLibraryWouldAbortOn(text: String, position: String, message: String) {
        #expect(problems(text) == [ConfigurationProblem(key: position, message: "TOML syntax: " + message)])
    }

    /// Brackets inside strings, comments, arrays and inline tables are not headers.
    @Test(arguments: [
        "# [+x]\n[alert]\nsustain = 2\n",
        "[alert] # [+x]\nsustain = 2\n",
        "x = [\n  [+1, 2],\n  [ [3] ],\n]\n[alert]\nsustain = 2\n",
        "x = \"\"\"\n[+x]\n\"\"\"\n[alert]\nsustain = 2\n",
        "x = '''\n[!x]\n'''\n[alert]\nsustain = 2\n",
        "x = \"[+x] \\\" [\"\n[alert]\nsustain = 2\n",
        "x = { y = [ {} ] }\n[\"alert\"]\nsustain = 2\n",
    ])
    func bracketsThatAreNotHeaders(text: String) {
        #expect(problemKeys(text) == ["x"] || problemKeys(text) == [])
    }

    @Test func controlSocketMustFitAUnixSocketAddress() {
        let longest = "/" + String(repeating: "s", count: 106)
        #expect(problems("[control]\nsocket = \"\(longest)\"") == [])
        #expect(problemKeys("[control]\nsocket = \"\(longest)s\"") == ["control.socket"])
    }

    @Test("port keys must be port numbers", arguments: [
        ("[ports.0]\nignore = true", "ports.0"),
        ("[ports.70000]\nignore = true", "ports.70000"),
        ("[ports.65536]", "ports.65536"),
        ("[ports.http]\nignore = true", "ports.http"),
        ("[ports.-1]", "ports.-1"),
        ("[ports.\"+80\"]\nignore = true", "ports.+80"),
        ("[ports.\"080\"]\nignore = true", "ports.080"),
        ("[ports.\" 80\"]\nignore = true", "ports. 80"),
        ("[ports.\"80 \"]\nignore = true", "ports.80 "),
        ("[ports.\"0080\"]", "ports.0080"),
        ("[ports.\"٨٠\"]", "ports.٨٠"),
        // One port, two spellings: the non-canonical one is refused, so no override is lost.
        ("[ports.80]\nignore = false\n[ports.\"080\"]\nignore = true", "ports.080"),
        ("[ports]\n8080 = 5", "ports.8080"),
        ("ports = 5", "ports"),
        ("ports = [8080]", "ports"),
    ] as [(String, String)])
    func badPortKey(text: String, key: String) {
        #expect(problemKeys(text) == [key])
    }

    @Test func everyProblemOfAFileIsReported() throws {
        let text = """
            colour = "blue"

            [scan]
            interval = 0
            source = "ebpf"
            proc_root = "proc"
            verbose = true

            [alert]
            time_wait_threshold = "many"
            clear_ratio = 1.5
            sustain = 0
            repeat = -1
            top_peers = 101
            tw_buckets_ratio = 2

            [ports.http]
            ignore = true

            [ports.8080]
            sustain = 2.5
            ignore = "no"
            limit = 3

            [ports.0]

            [control]
            socket = "twmond.sock"

            [log]
            level = "loud"
            """
        let error = try #require(throws: ConfigurationError.self) { try ConfigurationParser.parse(text, path: "twmond.toml") }
        #expect(error.problems.map(\.key) == [
            "scan.interval", "scan.source", "scan.proc_root", "scan.verbose",
            "alert.time_wait_threshold", "alert.clear_ratio", "alert.sustain", "alert.repeat", "alert.top_peers",
            "alert.tw_buckets_ratio",
            "ports.0", "ports.8080.sustain", "ports.8080.ignore", "ports.8080.limit", "ports.http",
            "control.socket",
            "log.level",
            "colour",
        ])
        #expect(error.description.hasPrefix("twmond.toml: scan.interval: must be from 0.1 to 3600, got 0; "))
        #expect(!error.description.contains("\n"))
    }

    @Test func problemsCarryReadableMessages() {
        #expect(problems("[alert]\nsustain = 0") == [ConfigurationProblem(key: "alert.sustain", message: "must be from 1 to 1000, got 0")])
        #expect(problems("[alert]\nclear_ratio = 0") == [
            ConfigurationProblem(key: "alert.clear_ratio", message: "must be greater than 0 and at most 1, got 0"),
        ])
        #expect(problems("[metrics]\ntextfile = \"/var/lib/node-exporter/../../tmp/twmond.prom\"") == [
            ConfigurationProblem(key: "metrics.textfile", message: #"must not contain ".." components: name the directory itself, got "/var/lib/node-exporter/../../tmp/twmond.prom""#),
        ])
        #expect(problems("[scan]\nsource = \"ebpf\"") == [
            ConfigurationProblem(key: "scan.source", message: "must be one of \"auto\", \"proc\", \"netlink\", got \"ebpf\""),
        ])
    }

    @Test("metrics keys are checked and errors name the key", arguments: [
        ("[metrics]\ntextfile = \"twmond.prom\"", "metrics.textfile"),
        ("[metrics]\ntextfile = \"/var/lib/prometheus/node-exporter/\"", "metrics.textfile"),
        ("[metrics]\ntextfile = 1", "metrics.textfile"),
        ("[metrics]\ntextfile = \"/srv/textfiles/../twmond.prom\"", "metrics.textfile"),
        ("[metrics]\ntextfile = \"/../twmond.prom\"", "metrics.textfile"),
        ("[metrics]\nlisten = \"localhost:19632\"", "metrics.listen"),
        ("[metrics]\nlisten = \"127.0.0.1\"", "metrics.listen"),
        ("[metrics]\nlisten = \"127.0.0.1:0\"", "metrics.listen"),
        ("[metrics]\nlisten = \"127.0.0.1:65536\"", "metrics.listen"),
        ("[metrics]\nlisten = \"::1:19632\"", "metrics.listen"),
        ("[metrics]\nclient_ports = -1", "metrics.client_ports"),
        ("[metrics]\nclient_ports = 1001", "metrics.client_ports"),
        ("[metrics]\nmax_idle_server_ports = -1", "metrics.max_idle_server_ports"),
        ("[metrics]\nmax_idle_server_ports = 65536", "metrics.max_idle_server_ports"),
        ("[metrics]\nport = 9100", "metrics.port"),
    ])
    func metricsKeysAreChecked(text: String, key: String) {
        #expect(problemKeys(text) == [key])
    }

    @Test("metrics.listen addresses", arguments: [
        ("127.0.0.1:19632", "127.0.0.1", 19632), ("0.0.0.0:1", "0.0.0.0", 1), ("[::1]:19632", "::1", 19632),
        ("[::]:65535", "::", 65535), ("[fe80::1:2:3:4:5]:80", "fe80::1:2:3:4:5", 80),
        ("[::ffff:10.0.0.1]:9", "::ffff:10.0.0.1", 9), ("[1:2:3:4:5:6:7:8]:9", "1:2:3:4:5:6:7:8", 9),
    ] as [(String, String, UInt16)])
    func listenAddressesParse(text: String, host: String, port: UInt16) {
        let address = MetricsListenAddress(text)
        #expect(address?.host == host)
        #expect(address?.port == port)
        #expect(address?.description == text)
    }

    @Test("metrics.listen refuses what is not a numeric address and a port", arguments: [
        "", "19632", ":19632", "127.0.0.1:", "127.0.0.1:019632", "127.0.0.1:+80", "256.0.0.1:80", "1.2.3:80", "01.2.3.4:80",
        "[::1]", "[::1]19632", "[1::2::3]:80", "[1:2:3:4:5:6:7:8:9]:80", "[12345::]:80", "[g::]:80", "example.org:80",
    ])
    func listenAddressesRefused(text: String) {
        #expect(MetricsListenAddress(text) == nil)
    }

    // MARK: Rendering

    @Test("the rendered TOML parses back to the same configuration", arguments: [
        Configuration(), customConfiguration(),
    ] as [Configuration])
    func renderingRoundTrips(configuration: Configuration) throws {
        let text = ConfigurationRenderer.toml(configuration)
        #expect(try ConfigurationParser.parse(text) == configuration)
    }

    @Test func renderingRoundTripsAwkwardValues() throws {
        var configuration = Configuration()
        configuration.scan.interval = 0.1
        configuration.scan.procRoot = "/tmp/a \"quoted\" dir\\with\\backslashes/ünïcödé"
        configuration.alert.timeWaitThreshold = Int(Int32.max)
        configuration.alert.clearRatio = 1.0 / 3.0
        configuration.alert.repeatInterval = 86_400 * 365
        configuration.alert.twBucketsRatio = 1
        configuration.ports[1] = Configuration.PortOverride(clearRatio: 0.001, ignore: true)
        configuration.ports[2] = Configuration.PortOverride(closeWaitThreshold: 0)
        configuration.closeWait.minAge = 0.25
        configuration.closeWait.threshold = 0
        configuration.ephemeralPorts.ratio = 0
        configuration.twOverflow.enabled = false
        let text = ConfigurationRenderer.toml(configuration)
        #expect(try ConfigurationParser.parse(text) == configuration)
    }

    /// Every string `--check-config` can print (each control character, DEL, quotes,
    /// backslashes, non-ASCII) reads back as the same configuration: TOML basic strings forbid
    /// control characters but tab, DEL included, which JSON escaping let through.
    @Test("--check-config output of awkward strings parses back", arguments: Array(0x00...0x1F) + [0x7F])
    func renderedStringsRoundTrip(control: Int) throws {
        let character = String(Unicode.Scalar(UInt8(control)))
        var configuration = Configuration()
        configuration.scan.procRoot = "/x\(character)y \"q\" \\b\\ é ünï 日本 \u{1F600}"
        configuration.metrics.textfile = "/t\(character)f"
        if control != 0 {  // sockets and textfiles refuse NUL when parsed
            configuration.control.socket = "/run/\(character)s"
        } else {
            configuration.metrics.textfile = "/t"
        }
        let text = ConfigurationRenderer.toml(configuration)
        #expect(!text.unicodeScalars.contains { $0.value == 0x7F || ($0.value < 0x20 && $0 != "\n") }, "\(text)")
        if control == 0 {
            // No configuration holds a NUL (argv and files cannot pass one), and TOMLKit would
            // cut the string at it: the printed escape is refused rather than read back short.
            #expect(problemKeys(text) == ["line 4, column 16"])
        } else {
            #expect(try ConfigurationParser.parse(text) == configuration)
        }
    }

    @Test func escapedNULIsRefusedNotCut() {
        #expect(problemKeys(#"""
            [scan]
            proc_root = "/x\u0000/evil"
            """#) == ["line 2, column 16"])
        #expect(problemKeys(#"""
            [scan]
            proc_root = "/x\U00000000/evil"
            """#) == ["line 2, column 16"])
        // An escaped backslash before `u0000` is no escape.
        #expect(try! ConfigurationParser.parse(#"""
            [scan]
            proc_root = "/x\\u0000"
            """#).scan.procRoot == #"/x\u0000"#)
    }

    @Test func renderedDELIsEscaped() {
        #expect(ConfigurationRenderer.quoted("/x\u{7F}\u{1F}\t\"\\ü") == #""/x\u007f\u001f\t\"\\ü""#)
    }

    @Test func alertKindSectionsAreReadAndCheckedByKey() throws {
        let configuration = try ConfigurationParser.parse("""
            [close_wait]
            threshold = 0
            min_age = 0.5
            [ephemeral_ports]
            ratio = 0.95
            [tw_overflow]
            enabled = false
            [ports.8080]
            close_wait_threshold = 500
            """)
        #expect(configuration.closeWait.threshold == 0)
        #expect(configuration.closeWait.minAge == 0.5)
        #expect(configuration.ephemeralPorts.ratio == 0.95)
        #expect(configuration.twOverflow.enabled == false)
        #expect(configuration.ports[8080]?.closeWaitThreshold == 500)
        // Threshold 0 switches close_wait off everywhere but where a port sets its own.
        #expect(configuration.closeWaitLimits(for: 9090) == nil)
        #expect(configuration.closeWaitLimits(for: 8080)?.threshold == 500)
        #expect(problemKeys("""
            [close_wait]
            threshold = -1
            min_age = 86401
            colour = "red"
            [ephemeral_ports]
            ratio = 1.5
            [tw_overflow]
            enabled = 1
            [ports.80]
            close_wait_threshold = "many"
            """) == [
                "close_wait.threshold", "close_wait.min_age", "close_wait.colour", "ephemeral_ports.ratio",
                "tw_overflow.enabled", "ports.80.close_wait_threshold",
            ])
        #expect(problemKeys("close_wait = 3\n") == ["close_wait"])
    }

    @Test func renderedDefaultsAreTheShippedValues() {
        let text = ConfigurationRenderer.toml(Configuration())
        #expect(text == """
            [scan]
            interval = 5.0
            source = "auto"
            proc_root = "/proc"
            namespaces = "all"

            [alert]
            time_wait_threshold = 5000
            clear_ratio = 0.8
            sustain = 3
            repeat = 3600.0
            top_peers = 5
            tw_buckets_ratio = 0.8

            [close_wait]
            threshold = 100
            min_age = 60.0

            [ephemeral_ports]
            ratio = 0.8

            [tw_overflow]
            enabled = true

            [events]
            source = "none"

            [control]
            socket = "/run/twmond.sock"

            [metrics]
            textfile = ""
            listen = ""
            client_ports = 10
            max_idle_server_ports = 1000

            [log]
            level = "info"

            """)
    }

    // MARK: Derived values

    @Test func limitsForAPortMergeItsOverrideWithTheAlertSection() {
        var configuration = Configuration()
        configuration.alert.timeWaitThreshold = 100
        configuration.alert.clearRatio = 0.8
        configuration.alert.sustain = 3
        configuration.ports = [
            8080: Configuration.PortOverride(timeWaitThreshold: 1_000, clearRatio: 0.5, sustain: 1),
            9090: Configuration.PortOverride(sustain: 7),
            9100: Configuration.PortOverride(timeWaitThreshold: 10, ignore: true),
        ]
        #expect(configuration.limits(for: 22) == AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 3))
        #expect(configuration.limits(for: 8080) == AlertLimits(threshold: 1_000, clearRatio: 0.5, sustain: 1))
        #expect(configuration.limits(for: 9090) == AlertLimits(threshold: 100, clearRatio: 0.8, sustain: 7))
        #expect(configuration.limits(for: 9100) == nil)
    }

    @Test("lowest threshold over the alert section and non-ignored overrides", arguments: [
        ([:], 5_000),
        ([8080: Configuration.PortOverride(timeWaitThreshold: 20_000)], 5_000),
        ([8080: Configuration.PortOverride(timeWaitThreshold: 20_000), 443: Configuration.PortOverride(timeWaitThreshold: 700)], 700),
        ([9100: Configuration.PortOverride(timeWaitThreshold: 10, ignore: true)], 5_000),
        ([22: Configuration.PortOverride(sustain: 1), 23: Configuration.PortOverride(timeWaitThreshold: 4_999)], 4_999),
    ] as [([UInt16: Configuration.PortOverride], Int)])
    func lowestThreshold(ports: [UInt16: Configuration.PortOverride], lowest: Int) {
        var configuration = Configuration()
        configuration.ports = ports
        #expect(configuration.lowestThreshold == lowest)
    }
}
