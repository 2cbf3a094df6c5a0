import TWMonCore
import TWMonSystem

/// Where the daemon's configuration comes from: a file, plus command-line flags that win over
/// it on every load (so a reload keeps `--proc-root`, `--socket` and `--namespaces`).
public struct ConfigurationSource: Sendable {
    /// The file.
    public var path: String
    /// Whether the file must exist (`--config` given explicitly).
    public var required: Bool
    /// `--proc-root`.
    public var procRoot: String?
    /// `--socket`.
    public var socket: String?
    /// `--namespaces`.
    public var namespaces: NamespaceMode?

    public init(path: String, required: Bool, procRoot: String? = nil, socket: String? = nil, namespaces: NamespaceMode? = nil) {
        self.path = path
        self.required = required
        self.procRoot = procRoot
        self.socket = socket
        self.namespaces = namespaces
    }

    /// Reads and validates the file, then applies the flags.
    public func load() throws(ConfigurationError) -> Configuration {
        var configuration = try ConfigurationLoader.load(path: path, required: required)
        if let procRoot { configuration.scan.procRoot = procRoot }
        if let namespaces { configuration.scan.namespaces = namespaces }
        if let socket {
            if let problem = Configuration.Control.problem(withSocketPath: socket) {
                throw ConfigurationError(path: nil, problems: [ConfigurationProblem(key: "--socket", message: "\(problem), got \"\(socket)\"")])
            }
            configuration.control.socket = socket
        }
        return configuration
    }
}
