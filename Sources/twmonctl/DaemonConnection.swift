import ArgumentParser
import Glibc
import TWMonCore
import TWMonSystem

/// The options every command that asks the running twmond shares.
struct DaemonConnection: ParsableArguments {
    /// twmond's default socket path (`[control] socket`).
    static let defaultSocket = Configuration().control.socket

    @Option(help: ArgumentHelp(
        "twmond's control socket (default: $TWMON_SOCKET, else \(DaemonConnection.defaultSocket)).", valueName: "PATH"
    ))
    var socket: String?

    @Option(help: ArgumentHelp("Seconds to wait for a reply.", valueName: "SECONDS"))
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0, timeout <= 3_600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    /// The socket path in effect.
    var socketPath: String {
        if let socket { return socket }
        if let fromEnvironment = getenv("TWMON_SOCKET"), fromEnvironment.pointee != 0 { return String(cString: fromEnvironment) }
        return Self.defaultSocket
    }

    /// Calls `method` and prints the reply's parameters as JSON, or as `text` renders them
    /// for people; failures become the command's exit status.
    func show(
        _ method: VarlinkMethod, parameters: [(key: String, value: JSONValue)] = [], json: Bool,
        text: (JSONValue) throws -> String
    ) throws(CommandFailure) {
        let reply: JSONValue
        do {
            reply = try call(method, parameters: parameters)
        } catch {
            throw error.failure
        }
        if json {
            var writer = JSONWriter()
            reply.write(into: &writer)
            FileDescriptorOutput.standardOutput.write(writer.string + "\n")
            return
        }
        do {
            FileDescriptorOutput.standardOutput.writeForPeople(try text(reply))
        } catch {
            throw CommandFailure(message: "unexpected reply from twmond: \(error)", exitCode: CommandFailure.runtimeExitCode)
        }
    }

    /// A connection to twmond, for several calls in a row.
    func connect() throws(DaemonCallError) -> VarlinkClient {
        do {
            return try VarlinkClient(path: socketPath, timeout: .seconds(timeout))
        } catch {
            throw DaemonCallError(error)
        }
    }

    /// Calls `method` on twmond (on `client`, else on a new connection) and returns the
    /// reply's parameters.
    func call(_ method: VarlinkMethod, parameters: [(key: String, value: JSONValue)] = [], on client: VarlinkClient? = nil) throws(DaemonCallError) -> JSONValue {
        let connected: VarlinkClient
        if let client { connected = client } else { connected = try connect() }
        do {
            return try connected.call(method.rawValue, parameters: parameters)
        } catch {
            throw DaemonCallError(error)
        }
    }
}

/// A call to twmond failed; the message says why in an operator's words.
struct DaemonCallError: Error, CustomStringConvertible {
    var underlying: VarlinkClientError

    init(_ underlying: VarlinkClientError) {
        self.underlying = underlying
    }

    var description: String {
        switch underlying {
        case .connect:
            "twmond is not running? \(underlying)"
        case .remote(let name, _) where name == VarlinkError.notReady.name:
            "twmond has not finished its first scan yet; try again after one scan interval"
        case .remote(let name, let parameters) where name == VarlinkError.namespaceNotFound(netns: "").name:
            if case .string(let netns)? = parameters["netns"] {
                "no network namespace named '\(TerminalText.name(netns))' in twmond's latest scan"
            } else {
                "twmond answered with an error: \(underlying)"
            }
        case .remote:
            "twmond answered with an error: \(underlying)"
        default:
            "talking to twmond: \(underlying)"
        }
    }

    /// For the commands' exit status: an unreachable or unready daemon is a run-time failure.
    var failure: CommandFailure {
        CommandFailure(message: description, exitCode: CommandFailure.runtimeExitCode)
    }
}
