/// Finds the constructs that make toml++ (under TOMLKit) stop the process instead of reporting
/// an error — a failed assertion aborts twmond at start-up, on `--check-config` and on a
/// reload. Both were found by the configuration fuzz target:
/// - a table header whose name starts with a character that starts no key (`[+x]`, `[[!x]]`),
///   which fails an assertion in the key parser;
/// - a `}` inside an array (`x = [}`, `x = [1, }]`), which fails `!is_value_terminator(*cp)`
///   in the value parser.
///
/// Upstream: the first is LebJe/TOMLKit issue 30 ("TOMLTable causes SIGABORT when parsing
/// invalid table headers", `[[[testme]]`, open) and marzer/tomlplusplus pull request 301
/// ("Fix precondition violation in parse_key when parsing '[[[' table headers", merged
/// 2026-05), not yet in the toml++ that TOMLKit 0.6.0 bundles; the second has no upstream report
/// yet. `TOMLSyntaxGuardTests.upstreamStillAborts` asserts that TOMLKit still aborts on each:
/// when it fails after a TOMLKit update, the fix has arrived and that case can leave this guard.
///
/// Neither is ever valid TOML (nor is the mirror case, a `]` inside an inline table), so each
/// is reported as a syntax error before the text reaches the library. The scan follows just
/// enough TOML to know where a statement starts and which bracket is open: comments, the four
/// kinds of strings, and the brackets of arrays and inline tables.
enum TOMLSyntaxGuard {
    /// Where and what the first such construct is.
    struct Finding: Equatable {
        /// `line L, column C` (bytes, from 1).
        var position: String
        /// What is wrong, for the error message.
        var message: String
    }

    static let badHeaderMessage = "TOML syntax: a table name must start with a letter, digit, '-', '_' or a quote"

    /// The first construct that would abort the TOML library, or nil.
    static func firstFatalConstruct(in text: String) -> Finding? {
        let bytes = Array(text.utf8)
        var index = 0, line = 1, lineStart = 0
        // The open brackets of values (arrays and inline tables), innermost last.
        var open: [UInt8] = []
        var statementStart = true, inHeader = false
        func at(_ offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = index + 1
                inHeader = false
                if open.isEmpty { statementStart = true }
                index += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "#"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                statementStart = false
                let escapes = byte == UInt8(ascii: "\"")
                let triple = at(index + 1) == byte && at(index + 2) == byte
                index += triple ? 3 : 1
                while index < bytes.count {
                    let next = bytes[index]
                    if escapes && next == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if next == UInt8(ascii: "\n") {
                        guard triple else { break }  // unterminated: the library reports it
                        line += 1
                        lineStart = index + 1
                    }
                    if next == byte && (!triple || (at(index + 1) == byte && at(index + 2) == byte)) {
                        index += triple ? 3 : 1
                        break
                    }
                    index += 1
                }
            case UInt8(ascii: "[") where statementStart && open.isEmpty:
                statementStart = false
                inHeader = true
                var name = index + 1
                if at(name) == UInt8(ascii: "[") { name += 1 }
                while at(name) == UInt8(ascii: " ") || at(name) == UInt8(ascii: "\t") { name += 1 }
                guard let first = at(name), isKeyStart(first) else {
                    return Finding(position: "line \(line), column \(name - lineStart + 1)", message: badHeaderMessage)
                }
                index = name
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                statementStart = false
                if !inHeader { open.append(byte) }
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !inHeader, let innermost = open.popLast() {
                    let opener = byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                    guard innermost == opener else {
                        let what = innermost == UInt8(ascii: "[") ? "an array opened with '['" : "an inline table opened with '{'"
                        return Finding(
                            position: "line \(line), column \(index - lineStart + 1)",
                            message: "TOML syntax: '\(Character(Unicode.Scalar(byte)))' inside \(what)"
                        )
                    }
                }
                index += 1
            default:
                statementStart = false
                index += 1
            }
        }
        return nil
    }

    /// A bare key character or a quote.
    private static func isKeyStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            true
        default:
            false
        }
    }
}
