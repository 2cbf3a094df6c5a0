/// Text from outside twmond (cgroup and unit names from the kernel, file contents, paths, client
/// input) made safe to show to people: on a terminal, in a journal `MESSAGE`, in the `STATUS=`
/// line. JSON output and structured journal fields keep the exact text; this is only for the
/// words people read.
///
/// Every character that a terminal would act on instead of show is written visibly, in Swift's
/// notation `\u{HEX}` (lowercase hex, no padding): the C0 controls U+0000–U+001F (ESC is
/// `\u{1b}`, BEL `\u{7}`, CR `\u{d}`, LF `\u{a}`, TAB `\u{9}`), DEL U+007F, the C1 controls
/// U+0080–U+009F (the one-character CSI U+009B among them), the bidirectional marks, embeddings,
/// overrides and isolates U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, the Arabic letter mark
/// U+061C, and the line and paragraph separators U+2028, U+2029. Invalid UTF-8 never reaches a
/// `String`: decoding already replaced it with U+FFFD `�`.
///
/// A backslash is not escaped, so escaping twice changes nothing (every sink may escape what it
/// writes without caring whether a caller did); the price is that a name that really contains
/// `\u{1b}` reads like one that contains ESC, and `--json` or the journal fields tell them apart.
public enum TerminalText {
    /// The longest name (a unit, a cgroup path, a container) shown in a table cell or a
    /// message, in Unicode scalars after escaping, the ellipsis included. Longer names end in `…`.
    public static let nameLimit = 64

    /// `text` with every character a terminal would act on written as `\u{HEX}`.
    public static func escaped(_ text: String) -> String {
        render(text, keepingNewlines: false, limit: nil)
    }

    /// `text` escaped as `escaped(_:)` does, except that its line feeds stay: for output of several
    /// lines that twmonctl or twmond itself lays out.
    public static func escapedLines(_ text: String) -> String {
        render(text, keepingNewlines: true, limit: nil)
    }

    /// A name for a table cell or a message: escaped, and cut to `limit` scalars ending in `…`
    /// when longer (never inside an escape or a UTF-8 sequence).
    public static func name(_ text: String, limit: Int = nameLimit) -> String {
        render(text, keepingNewlines: false, limit: limit)
    }

    /// True for a scalar that is shown as `\u{HEX}`.
    public static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// The one loop behind the three entry points.
    private static func render(_ text: String, keepingNewlines: Bool, limit: Int?) -> String {
        let scalars = text.unicodeScalars
        if limit == nil, !scalars.contains(where: isEscaped) { return text }
        var result = String.UnicodeScalarView()
        var length = 0
        for (offset, scalar) in zip(scalars.indices, scalars) {
            let piece: String.UnicodeScalarView =
                isEscaped(scalar) && !(keepingNewlines && scalar == "\n")
                ? "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars : String.UnicodeScalarView([scalar])
            if let limit, length + piece.count > limit - 1 {
                // Room for this piece and no more, or for the ellipsis.
                let rest = scalars[scalars.index(after: offset)...]
                if rest.isEmpty && length + piece.count <= limit { result += piece; break }
                result.append("…")
                break
            }
            result += piece
            length += piece.count
        }
        return String(result)
    }
}
