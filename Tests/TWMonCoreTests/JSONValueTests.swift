import Testing
@testable import TWMonCore

@Suite("JSON parsing")
struct JSONValueTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5, 3e2, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}, "c": -0} "#)
        #expect(value == .object([
            ("a", .array([.integer(1), .number(-2.5), .number(300), .bool(true), .bool(false), .null, .string("x\né😀")])),
            ("b", .object([])),
            ("c", .integer(0)),
        ]))
    }

    @Test func keepsIntegersBooleansAndNumbersApart() throws {
        #expect(try parse("5") == .integer(5))
        #expect(try parse("5.0") == .number(5))
        #expect(try parse("true") == .bool(true))
        #expect(try parse("99999999999999999999") == .number(1e20))
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul",
        "\"abc", "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "[1] 2", "{\"a\" 1}", "NaN", "Infinity", "-1e",
    ])
    func rejectsInvalidDocuments(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    /// Valid JSON beyond Double's range is ±infinity, a value no parameter accepts; it is not a
    /// syntax error (which would end the connection).
    @Test(arguments: [
        ("1e999", Double.infinity), ("-1e999", -Double.infinity), (String(repeating: "9", count: 60_000), Double.infinity),
        ("-" + String(repeating: "9", count: 60_000), -Double.infinity), ("1e-999", 0), ("9223372036854775808", 9223372036854775808),
    ])
    func numbersOutOfRange(text: String, expected: Double) throws {
        #expect(try parse(text) == .number(expected))
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError(.invalidUTF8, at: 0)) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(throws: Never.self) { try parse(deep) }
        let tooDeep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError(.tooDeep, at: JSONValue.maximumDepth)) { try parse(tooDeep) }
    }

    @Test func writesBackWhatItRead() throws {
        let text = #"{"b":[1,2.5,"q\"",null,true],"a":{"x":false}}"#
        var json = JSONWriter()
        try parse(text).write(into: &json)
        #expect(json.string == text)
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    /// Escaped byte by byte: the six short escapes, every other control byte as \u00xx, and
    /// multi-byte UTF-8 (é, U+202E, an emoji) and DEL copied as they are; the parser reads it back.
    @Test func stringsAreEscapedExactly() throws {
        let text = "a\"b\\c\nd\re\tf\u{0}\u{1b}\u{1f}\u{7f}é\u{202e}🙂"
        var json = JSONWriter()
        json.beginObject()
        json.member("k", text)
        json.member("n", -1_234_567)
        json.endObject()
        #expect(json.string == #"{"k":"a\"b\\c\nd\re\tf\u0000\u001b\u001f"# + "\u{7f}é\u{202e}🙂\",\"n\":-1234567}")
        #expect(try JSONValue.parse(json.bytes)["k"] == .string(text))
    }
}
