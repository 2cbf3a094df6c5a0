import TWMonCore

/// Fuzz target `config`: bytes as twmond.toml. The parser must never trap, and an accepted
/// configuration, printed as `--check-config` prints it, must read back the same.
func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    guard let configuration = try? ConfigurationParser.parse(text) else { return 0 }
    let printed = ConfigurationRenderer.toml(configuration)
    do {
        let reread = try ConfigurationParser.parse(printed)
        precondition(reread == configuration, "the printed configuration reads back differently:\n\(printed)")
    } catch {
        preconditionFailure("the printed configuration is refused: \(error)\n\(printed)")
    }
    return 0
}
