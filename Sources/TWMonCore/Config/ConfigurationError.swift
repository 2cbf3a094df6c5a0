/// One thing wrong in a configuration file, named by its key.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// The dotted key (`alert.sustain`, `ports.8080.ignore`), or the position of a syntax error.
    public var key: String
    /// What is wrong with it.
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}

/// Why a configuration was refused: every problem found, not just the first.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, when the configuration came from one.
    public var path: String?
    public var problems: [ConfigurationProblem]

    public init(path: String? = nil, problems: [ConfigurationProblem]) {
        self.path = path
        self.problems = problems
    }

    /// `PATH: key: problem; key: problem`, on one line (fit for STATUS= and the journal).
    public var description: String {
        (path.map { "\($0): " } ?? "") + problems.map(\.description).joined(separator: "; ")
    }
}
