import Foundation
import Testing
import TWMonCore
import TWMonTestSupport

/// The control socket as an independent client sees it: the `varlink` package from PyPI
/// (`Tests/varlink-python/check_twmond.py`) calls every method, parses the interface
/// definitions twmond serves and checks every reply against them; here its results are
/// compared with what `MonitorService` computes for the same snapshot.
@Suite("Independent Varlink client (Python varlink)")
struct PythonVarlinkClientTests {
    /// The package version the test installs.
    static let varlinkPackage = "varlink==31.0.0"

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A virtual environment with the `varlink` package: `$TWMON_PYVENV`, else `.build/pyvenv`.
    static func pythonWithVarlink() throws -> String {
        let environment = ProcessInfo.processInfo.environment["TWMON_PYVENV"]
            ?? packageRoot.appendingPathComponent(".build/pyvenv").path
        let python = environment + "/bin/python"
        if try ChildProcess.run([python, "-c", "import varlink"]).status == 0 { return python }
        try ChildProcess.check(["python3", "-m", "venv", environment])
        try ChildProcess.check([environment + "/bin/pip", "install", "--quiet", "--disable-pip-version-check", varlinkPackage])
        return python
    }

    /// Objects compared without regard to member order (the library rebuilds them in the
    /// order of the interface definition).
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            .object(members.map { ($0.key, normalized($0.value)) }.sorted { $0.0 < $1.0 })
        case .array(let elements):
            .array(elements.map(normalized))
        case .integer(let number):
            // Python's json writes a float with an integral value as `1.0`, Swift as `1.0` too,
            // but the library turns `float` fields that arrive as ints into floats.
            .number(Double(number))
        default:
            value
        }
    }

    private func expectedParameters(_ call: String) throws -> JSONValue {
        guard case .send(let bytes) = MonitorService.respond(
            to: Array(call.utf8), snapshot: ControlServerHarness.snapshot(), now: ControlServerHarness.now
        ) else { throw UnixTestClient.Failure(description: "no reply to \(call)") }
        return try JSONValue.parse(bytes.dropLast()).field("parameters")
    }

    @Test func pythonVarlinkCallsEveryMethod() async throws {
        let python = try await OwnThread.run { try Self.pythonWithVarlink() }
        let script = Self.packageRoot.appendingPathComponent("Tests/varlink-python/check_twmond.py").path
        try await ControlServerHarness.run { context in
            let run = try ChildProcess.run([python, script, context.path])
            try #require(run.status == 0, "check_twmond.py failed: \(run.standardError)")
            let result = try JSONValue.parse(Array(run.standardOutput.utf8))

            #expect(result["interfaces"] == .array([.string("org.varlink.service"), .string("io.twmon.Monitor")]))
            #expect(try result.field("info").string("vendor") == "twmon")
            #expect(try result.field("info").string("version") == TWMonVersion.current)
            for name in VarlinkInterfaceDescription.names {
                #expect(try result.field("descriptions").string(name) == VarlinkInterfaceDescription.definition(of: name))
            }
            let comparisons = [
                ("status", #"{"method":"io.twmon.Monitor.GetStatus"}"#),
                ("ports", #"{"method":"io.twmon.Monitor.ListPorts"}"#),
                ("ports_selected", #"{"method":"io.twmon.Monitor.ListPorts","parameters":{"listeningOnly":true,"state":"TIME_WAIT","limit":1}}"#),
                ("alerts", #"{"method":"io.twmon.Monitor.ListAlerts"}"#),
            ]
            for (key, call) in comparisons {
                #expect(Self.normalized(try result.field(key)) == Self.normalized(try expectedParameters(call)), "\(key)")
            }
            #expect(try result.field("invalid_state").string("error") == "io.twmon.Monitor.InvalidState")
            let errors = try result.field("errors")
            #expect(try errors.field("method_not_found").string("method") == "io.twmon.Monitor.Reboot")
            #expect(try errors.field("interface_not_found").string("interface") == "com.example.Nothing")
            #expect(try errors.field("invalid_parameter").string("parameter") == "limit")
            #expect(try errors.field("invalid_state").string("state") == "NOPE")
        }
    }
}
