/// twmon's release version, reported by `GetInfo`, `GetStatus` and the binaries.
public enum TWMonVersion {
    public static let current = "0.1.0"
}
