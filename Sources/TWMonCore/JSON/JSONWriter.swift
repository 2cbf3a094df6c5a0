/// Writes compact JSON into a byte buffer, keys in the order they are written.
///
/// Rendering is separate from transport: the buffer goes to stdout, to a socket or to a test
/// that compares exact bytes.
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current container needs a comma before it.
    private var needsComma: [Bool] = [false]

    public init() {}

    /// Makes room for `count` more bytes at once: a writer that knows about how long its output
    /// will be grows its buffer once instead of doubling it step by step, each step copying
    /// what was written and leaving the old buffer behind in the heap.
    public mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(bytes.count + max(0, count))
    }

    /// The JSON as text.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    /// `text` quoted, escaped byte by byte: only ASCII needs escaping, and every byte of a
    /// multi-byte UTF-8 sequence is 0x80 or above, so the rest is copied as it is (no
    /// allocation per character: replies of 20 000 ports are megabytes of keys and names).
    private mutating func writeQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `"key":` inside an object.
    public mutating func key(_ key: String) {
        separate()
        writeQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        pendingKey = true
    }

    /// Set between a key and its value, so the value writes no comma.
    private var pendingKey = false

    private mutating func beginValue() {
        if pendingKey {
            pendingKey = false
        } else {
            separate()
        }
    }

    public mutating func beginObject() {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func value(_ text: String) {
        beginValue()
        writeQuoted(text)
    }

    public mutating func value(_ number: Int) {
        beginValue()
        DecimalDigits.append(number, to: &bytes)
    }

    public mutating func value(_ number: Double) {
        beginValue()
        if number.isFinite {
            bytes.append(contentsOf: String(number).utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }

    public mutating func value(_ flag: Bool) {
        beginValue()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
    }

    public mutating func null() {
        beginValue()
        bytes.append(contentsOf: Array("null".utf8))
    }

    /// Writes a member whose value is a string, number or flag.
    public mutating func member(_ name: String, _ text: String) { key(name); value(text) }
    public mutating func member(_ name: String, _ number: Int) { key(name); value(number) }
    public mutating func member(_ name: String, _ number: Double) { key(name); value(number) }
    public mutating func member(_ name: String, _ flag: Bool) { key(name); value(flag) }

    /// Writes an object member.
    public mutating func object(_ name: String, _ body: (inout JSONWriter) -> Void) {
        key(name)
        beginObject()
        body(&self)
        endObject()
    }

    /// Writes an array member.
    public mutating func array(_ name: String, _ body: (inout JSONWriter) -> Void) {
        key(name)
        beginArray()
        body(&self)
        endArray()
    }
}
