import Glibc
import TWMonCore

/// Reads and validates twmond's configuration file.
public enum ConfigurationLoader {
    /// The file twmond reads when `--config` is not given.
    public static let defaultPath = "/etc/twmond/twmond.toml"

    /// Loads `path`. A missing file is an error only when `required` (an explicit `--config`);
    /// a missing default file means the built-in defaults.
    public static func load(path: String, required: Bool) throws(ConfigurationError) -> Configuration {
        let reader = ProcFileReader(initialCapacity: 64 * 1024)
        let found: Bool
        do {
            found = try reader.read(path: path)
        } catch {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "file", message: "cannot read: \(error)")])
        }
        guard found else {
            if required {
                throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "file", message: "does not exist")])
            }
            return Configuration()
        }
        let text = reader.withBytes { String(decoding: $0, as: UTF8.self) }
        return try ConfigurationParser.parse(text, path: path)
    }
}
