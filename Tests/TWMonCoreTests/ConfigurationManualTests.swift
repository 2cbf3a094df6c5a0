import Foundation
import Testing
@testable import TWMonCore

/// twmond.toml(5) is written by hand (`doc/twmond.toml.5`); these tests keep it in step with the
/// configuration the code accepts: every section and key, every default, and the version.
@Suite struct ConfigurationManualTests {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TWMonCoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root

    private static func manual() throws -> String {
        try String(contentsOf: repository.appendingPathComponent("doc/twmond.toml.5"), encoding: .utf8)
    }

    /// (section, key, rendered default) for every line of the effective default configuration,
    /// plus the keys of a `[ports.N]` table (which has no defaults of its own).
    private static func renderedKeys() -> [(section: String, key: String, value: String?)] {
        var configuration = Configuration()
        configuration.ports[8080] = .init(timeWaitThreshold: 1, clearRatio: 0.5, sustain: 1, ignore: true, closeWaitThreshold: 5)
        var section = ""
        var keys: [(String, String, String?)] = []
        for line in ConfigurationRenderer.toml(configuration).split(separator: "\n") {
            if line.hasPrefix("[") {
                section = line.hasPrefix("[ports.") ? "[ports.N]" : String(line)
                continue
            }
            let parts = line.split(separator: " = ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            keys.append((section, parts[0], section == "[ports.N]" ? nil : parts[1]))
        }
        return keys
    }

    @Test func everySectionAndKeyIsDocumentedWithItsDefault() throws {
        let manual = try Self.manual()
        let keys = Self.renderedKeys()
        #expect(keys.count >= 14)
        for (section, key, value) in keys {
            let hasSection = manual.contains(".SH \"\(section)\"")
            #expect(hasSection, "section \(section) missing from twmond.toml(5)")
            if let value {
                // `.BR interval " (default 5.0)"`; strings appear as \(dqproc\(dq in roff.
                let roffValue = value.replacingOccurrences(of: "\"", with: "\\(dq")
                let hasDefault = manual.contains(".BR \(key) \" (default \(roffValue))\"")
                #expect(hasDefault, "\(section) \(key): twmond.toml(5) does not give the default \(value)")
            } else {
                let portSection = manual.components(separatedBy: ".SH \"[ports.N]\"").last?
                    .components(separatedBy: "\n.SH ").first ?? ""
                let hasKey = portSection.contains(key)
                #expect(hasKey, "\(section) \(key) missing from twmond.toml(5)")
            }
        }
    }

    @Test func manualNamesTheCurrentVersion() throws {
        let header = try Self.manual().split(separator: "\n").first { $0.hasPrefix(".TH ") }
        #expect(header?.contains("\"twmon \(TWMonVersion.current)\"") == true, "\(header ?? "no .TH line")")
    }
}
