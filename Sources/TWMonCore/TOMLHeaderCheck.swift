/// Finds the table headers that make toml++ (under TOMLKit) stop the process instead of
/// reporting an error: a header whose name starts with a character that starts no key
/// (`[+x]`, `[[!x]]`) fails an assertion in its key parser, which aborts twmond — at start-up,
/// on `--check-config`, and on a reload. Found by the configuration fuzz target.
///
/// Such a header is never valid TOML, so it is reported as a syntax error before the text
/// reaches the library. The scan follows just enough TOML to know where a statement starts:
/// comments, the four kinds of strings, and the brackets of arrays and inline tables.
enum TOMLHeaderCheck {
    /// `line L, column C` (bytes, from 1) of the first character after `[` or `[[` of a header
    /// that cannot start a key, or nil.
    static func firstBadHeader(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0, line = 1, lineStart = 0
        var depth = 0, statementStart = true, inHeader = false
        func at(_ offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = index + 1
                inHeader = false
                if depth == 0 { statementStart = true }
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
            case UInt8(ascii: "[") where statementStart && depth == 0:
                statementStart = false
                inHeader = true
                var name = index + 1
                if at(name) == UInt8(ascii: "[") { name += 1 }
                while at(name) == UInt8(ascii: " ") || at(name) == UInt8(ascii: "\t") { name += 1 }
                guard let first = at(name), isKeyStart(first) else {
                    return "line \(line), column \(name - lineStart + 1)"
                }
                index = name
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                statementStart = false
                if !inHeader { depth += 1 }
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !inHeader { depth = max(0, depth - 1) }
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
