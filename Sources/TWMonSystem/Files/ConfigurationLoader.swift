import TWMonCore

/// Reads and validates twmond's configuration file.
public enum ConfigurationLoader {
    /// The file twmond reads when `--config` is not given.
    public static let defaultPath = "/etc/twmond/twmond.toml"

    /// The largest configuration file read (a real one is under 2 KiB).
    public static let fileSizeLimit = 1 << 20

    /// Loads `path`. A missing file is an error only when `required` (an explicit `--config`);
    /// a missing default file means the built-in defaults. A file that is not a regular file
    /// (a FIFO, /dev/zero), is larger than `fileSizeLimit` or is not UTF-8 is an error at once.
    public static func load(path: String, required: Bool) throws(ConfigurationError) -> Configuration {
        let reader = ProcFileReader(initialCapacity: 64 * 1024)
        let found: Bool
        do {
            found = try reader.read(path: path, limit: fileSizeLimit)
        } catch {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "file", message: "cannot read: \(error)")])
        }
        guard found else {
            if required {
                throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "file", message: "does not exist")])
            }
            return Configuration()
        }
        guard let text = reader.withBytes({ String(validating: $0, as: UTF8.self) }) else {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "file", message: "is not UTF-8 text")])
        }
        return try ConfigurationParser.parse(text, path: path)
    }
}
