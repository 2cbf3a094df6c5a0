/// Parses the text of the kernel's `/proc/net/tcp` and `/proc/net/tcp6` tables.
///
/// Works on raw bytes: no `String` per line and no allocation per row. Each row is
/// `sl: local_address rem_address st …`; only the first four columns are read, so whatever the
/// kernel prints after `st` does not matter. The header line is skipped. A row that cannot be
/// read (truncated, bad hex, unknown state, blank) is skipped and counted as malformed.
public enum ProcNetTCPParser {
    /// Calls `body` for every well-formed row of `text` and returns the number of malformed rows.
    @inlinable
    public static func forEachRecord(
        in text: UnsafeRawBufferPointer,
        family: AddressFamily,
        _ body: (TCPSocketRecord) throws -> Void
    ) rethrows -> Int {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else {
            return 0
        }
        let end = base + text.count
        var line = base
        var malformed = 0
        var isFirstLine = true
        while line < end {
            let newline = findNewline(from: line, to: end)
            defer {
                line = newline + 1
                isFirstLine = false
            }
            if isFirstLine && isHeader(line, newline) { continue }
            if let record = parseRow(line, newline, family: family) {
                try body(record)
            } else {
                malformed += 1
            }
        }
        return malformed
    }

    /// Parses `text` into records. For tests and small tables; the scanner uses `forEachRecord`.
    public static func records(
        in text: some Collection<UInt8>, family: AddressFamily
    ) -> (records: [TCPSocketRecord], malformedRows: Int) {
        var result: [TCPSocketRecord] = []
        let bytes = Array(text)
        let malformed = bytes.withUnsafeBytes { buffer in
            forEachRecord(in: buffer, family: family) { result.append($0) }
        }
        return (result, malformed)
    }

    // MARK: - Row decoding

    @inlinable @inline(__always)
    static func findNewline(from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        var cursor = start
        while cursor < end && cursor.pointee != UInt8(ascii: "\n") { cursor += 1 }
        return cursor
    }

    /// The header begins, after blanks, with `sl`.
    @inlinable
    static func isHeader(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        var cursor = start
        while cursor < end && cursor.pointee == UInt8(ascii: " ") { cursor += 1 }
        return end - cursor >= 2 && cursor[0] == UInt8(ascii: "s") && cursor[1] == UInt8(ascii: "l")
    }

    /// The value of a hex digit, or 0xFF.
    @inlinable @inline(__always)
    static func hexValue(_ character: UInt8) -> UInt8 {
        let digit = character &- UInt8(ascii: "0")
        if digit < 10 { return digit }
        let letter = (character | 0x20) &- UInt8(ascii: "a")
        if letter < 6 { return letter &+ 10 }
        return 0xFF
    }

    /// Reads exactly `count` (≤ 8) hex digits at `cursor`.
    @inlinable @inline(__always)
    static func hexWord(_ cursor: UnsafePointer<UInt8>, count: Int) -> UInt32? {
        var value: UInt32 = 0
        for index in 0..<count {
            let nibble = hexValue(cursor[index])
            if nibble == 0xFF { return nil }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }

    /// Reads `ADDRESS:PORT` starting at `cursor` and moves `cursor` past it. The kernel prints each
    /// 32-bit word of the address as a host-order number, so its native bytes are network order.
    @inlinable @inline(__always)
    static func endpoint(
        _ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, family: AddressFamily
    ) -> SocketEndpoint? {
        let digits = family.addressHexDigits
        guard end - cursor >= digits + 5, cursor[digits] == UInt8(ascii: ":") else { return nil }
        var bytes = SIMD16<UInt8>.zero
        for word in 0..<(digits / 8) {
            guard let value = hexWord(cursor + 8 * word, count: 8) else { return nil }
            let networkOrder = value.littleEndian
            bytes[4 * word] = UInt8(truncatingIfNeeded: networkOrder)
            bytes[4 * word + 1] = UInt8(truncatingIfNeeded: networkOrder >> 8)
            bytes[4 * word + 2] = UInt8(truncatingIfNeeded: networkOrder >> 16)
            bytes[4 * word + 3] = UInt8(truncatingIfNeeded: networkOrder >> 24)
        }
        guard let port = hexWord(cursor + digits + 1, count: 4) else { return nil }
        cursor += digits + 5
        return SocketEndpoint(address: IPAddress(family: family, bytes: bytes), port: UInt16(port))
    }

    @inlinable @inline(__always)
    static func skipBlanks(_ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        let start = cursor
        while cursor < end && (cursor.pointee == UInt8(ascii: " ") || cursor.pointee == UInt8(ascii: "\t")) {
            cursor += 1
        }
        return cursor > start
    }

    /// Decodes one row, or returns nil when it is malformed.
    @inlinable
    static func parseRow(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, family: AddressFamily
    ) -> TCPSocketRecord? {
        var cursor = start
        _ = skipBlanks(&cursor, end)
        // "sl:" — decimal slot number and a colon.
        let slotStart = cursor
        while cursor < end && cursor.pointee &- UInt8(ascii: "0") < 10 { cursor += 1 }
        guard cursor > slotStart, cursor < end, cursor.pointee == UInt8(ascii: ":") else { return nil }
        cursor += 1
        guard skipBlanks(&cursor, end), let local = endpoint(&cursor, end, family: family) else { return nil }
        guard skipBlanks(&cursor, end), let remote = endpoint(&cursor, end, family: family) else { return nil }
        guard skipBlanks(&cursor, end), end - cursor >= 2, let rawState = hexWord(cursor, count: 2) else {
            return nil
        }
        cursor += 2
        // The state column must end here: anything may follow, but only after a blank.
        guard cursor == end || cursor.pointee == UInt8(ascii: " ") || cursor.pointee == UInt8(ascii: "\t")
            || cursor.pointee == UInt8(ascii: "\r")
        else { return nil }
        guard let state = TCPState(rawValue: UInt8(rawState)) else { return nil }
        return TCPSocketRecord(local: local, remote: remote, state: state)
    }
}
