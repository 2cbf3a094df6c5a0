/// Parses the text of the kernel's `/proc/net/tcp` and `/proc/net/tcp6` tables.
///
/// Works on raw bytes: no `String` per line and no allocation per row. Each row is
/// `sl: local_address rem_address st …`; only the first four columns are read, so whatever the
/// kernel prints after `st` does not matter. The header line is skipped. A row that cannot be
/// read (truncated, bad hex, unknown state, blank) is skipped and counted as malformed.
///
/// A scan only needs the local port and the state of most rows, so `forEachRow` validates every
/// column but decodes only those two; the addresses stay as text until someone asks for them.
/// The row grammar is checked against the end of the buffer rather than the end of the line: a
/// newline is neither a blank, a digit, a colon nor a hex digit, so no column can run over it,
/// and the newline ending a row is looked for only after its last column.
public enum ProcNetTCPParser {
    /// One well-formed row: its local port and state decoded, its endpoints still text in the
    /// buffer being parsed (checked: `ADDRESS:PORT` in hex).
    public struct Row {
        /// The local port.
        public let localPort: UInt16
        /// The socket's state.
        public let state: TCPState
        /// Where the local and remote `ADDRESS:PORT` columns start.
        @usableFromInline let localText: UnsafePointer<UInt8>
        @usableFromInline let remoteText: UnsafePointer<UInt8>
        @usableFromInline let family: AddressFamily

        @inlinable
        init(localPort: UInt16, state: TCPState, localText: UnsafePointer<UInt8>, remoteText: UnsafePointer<UInt8>, family: AddressFamily) {
            self.localPort = localPort
            self.state = state
            self.localText = localText
            self.remoteText = remoteText
            self.family = family
        }

        /// The local address, decoded.
        @inlinable
        public var localAddress: IPAddress { ProcNetTCPParser.address(localText, family: family) }

        /// The remote port, decoded.
        @inlinable
        public var remotePort: UInt16 { ProcNetTCPParser.port(remoteText + family.addressHexDigits + 1) }

        /// The socket's inode (the tenth column), or 0 when the row has none that reads as one;
        /// `end` is the end of the buffer the row is in. Read only when asked for: a scan asks
        /// for CLOSE_WAIT rows only.
        public func inode(bufferEnd end: UnsafePointer<UInt8>) -> UInt64 {
            ProcNetTCPParser.inode(afterRemote: remoteText + family.addressHexDigits + 5, end)
        }

        /// The remote address, decoded.
        @inlinable
        public var remoteAddress: IPAddress { ProcNetTCPParser.address(remoteText, family: family) }

        /// The whole row, decoded.
        @inlinable
        public var record: TCPSocketRecord {
            let portText = remoteText + family.addressHexDigits + 1
            return TCPSocketRecord(
                local: SocketEndpoint(address: ProcNetTCPParser.address(localText, family: family), port: localPort),
                remote: SocketEndpoint(address: remoteAddress, port: ProcNetTCPParser.port(portText)),
                state: state
            )
        }
    }

    /// Calls `body` for every well-formed row of `text` and returns the number of malformed rows.
    /// The row's pointers are valid only during the call. `text` is whole lines of a table; only
    /// when it `startsFile` can its first line be the header.
    @inlinable
    public static func forEachRow(
        in text: UnsafeRawBufferPointer,
        family: AddressFamily,
        startsFile: Bool = true,
        _ body: (Row) throws -> Void
    ) rethrows -> Int {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else {
            return 0
        }
        let end = base + text.count
        var line = base
        var malformed = 0
        if startsFile && isHeader(line, end) { line = lineAfter(line, end) }
        while line < end {
            var cursor = line
            if let row = scanRow(&cursor, end, family: family) {
                try body(row)
            } else {
                malformed += 1
            }
            line = lineAfter(cursor, end)
        }
        return malformed
    }

    /// Calls `body` for every well-formed row of `text`, decoded, and returns the number of
    /// malformed rows.
    @inlinable
    public static func forEachRecord(
        in text: UnsafeRawBufferPointer,
        family: AddressFamily,
        _ body: (TCPSocketRecord) throws -> Void
    ) rethrows -> Int {
        try forEachRow(in: text, family: family) { try body($0.record) }
    }

    /// Parses `text` into records. For tests and small tables; the scanner uses `forEachRow`.
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

    // MARK: - Lines

    /// The start of the line after the one `cursor` is in, or `end`.
    @inlinable @inline(__always)
    static func lineAfter(_ cursor: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        var cursor = cursor
        // Sixteen bytes at a time to the one holding the newline (most of a row's 150 bytes
        // come after its last column), then eight, then one.
        let newlines = SIMD16<UInt8>(repeating: UInt8(ascii: "\n"))
        while end - cursor >= 16 {
            let chunk = UnsafeRawPointer(cursor).loadUnaligned(as: SIMD16<UInt8>.self)
            if any(chunk .== newlines) { break }
            cursor += 16
        }
        // A zero byte in `word ^ "\n\n\n\n\n\n\n\n"` is a newline.
        while end - cursor >= 8 {
            let word = load(cursor) ^ 0x0A0A_0A0A_0A0A_0A0A
            let zeroBytes = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
            if zeroBytes != 0 {
                // The lowest flagged byte is exact (a borrow only flags bytes above a zero byte).
                return cursor + (zeroBytes.trailingZeroBitCount >> 3) + 1
            }
            cursor += 8
        }
        while cursor < end {
            if cursor.pointee == UInt8(ascii: "\n") { return cursor + 1 }
            cursor += 1
        }
        return end
    }

    /// The header begins, after blanks, with `sl`.
    @inlinable
    static func isHeader(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        var cursor = start
        while cursor < end && cursor.pointee == UInt8(ascii: " ") { cursor += 1 }
        return end - cursor >= 2 && cursor[0] == UInt8(ascii: "s") && cursor[1] == UInt8(ascii: "l")
    }

    @inlinable @inline(__always)
    static func isBlank(_ character: UInt8) -> Bool {
        character == UInt8(ascii: " ") || character == UInt8(ascii: "\t")
    }

    /// Skips spaces and tabs; true when there was at least one.
    @inlinable @inline(__always)
    static func skipBlanks(_ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        let start = cursor
        while cursor < end && isBlank(cursor.pointee) { cursor += 1 }
        return cursor > start
    }

    // MARK: - Hex

    /// The eight bytes at `cursor`, the first in the lowest bits.
    @inlinable @inline(__always)
    static func load(_ cursor: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(cursor).loadUnaligned(as: UInt64.self))
    }

    /// For each byte of `word` (ASCII or not), its high bit is set when the byte is a hex digit
    /// (`0-9`, `a-f`, `A-F`).
    @inlinable @inline(__always)
    static func hexDigitMask(_ word: UInt64) -> UInt64 {
        let high: UInt64 = 0x8080_8080_8080_8080
        let ascii = ~word & high  // bytes below 0x80; the sums below cannot carry out of them
        let low7 = word & ~high
        // x ≥ c sets the high bit of x + (0x80 - c); x > c sets it in x + (0x7F - c).
        let digit = (low7 &+ 0x5050_5050_5050_5050) & ~(low7 &+ 0x4646_4646_4646_4646)
        let folded = low7 | 0x2020_2020_2020_2020
        let letter = (folded &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(folded &+ 0x1919_1919_1919_1919)
        return (digit | letter) & ascii
    }

    /// True when the `count` (a multiple of 8) bytes at `cursor` are all hex digits.
    @inlinable @inline(__always)
    static func areHexDigits(_ cursor: UnsafePointer<UInt8>, count: Int) -> Bool {
        var all: UInt64 = 0x8080_8080_8080_8080
        var offset = 0
        while offset < count {
            all &= hexDigitMask(load(cursor + offset))
            offset += 8
        }
        return all == 0x8080_8080_8080_8080
    }

    /// The value of a byte already known to be a hex digit.
    @inlinable @inline(__always)
    static func nibble(_ digit: UInt8) -> UInt32 {
        UInt32(digit & 0x0F) &+ 9 &* UInt32(digit >> 6)
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

    /// Decodes the four valid hex digits of a port.
    @inlinable @inline(__always)
    static func port(_ text: UnsafePointer<UInt8>) -> UInt16 {
        UInt16(truncatingIfNeeded: nibble(text[0]) << 12 | nibble(text[1]) << 8 | nibble(text[2]) << 4 | nibble(text[3]))
    }

    /// Decodes an address's valid hex digits. The kernel prints each 32-bit word of the address
    /// as the number its memory holds, read in the kernel's `byteOrder`; that memory is in
    /// network order, so the address's bytes are the number's bytes in that order
    /// (`0100007F` is 127.0.0.1 on a little-endian machine, 1.0.0.127 on a big-endian one).
    @inlinable
    static func address(_ text: UnsafePointer<UInt8>, family: AddressFamily, byteOrder: ByteOrder = .host) -> IPAddress {
        var bytes = SIMD16<UInt8>.zero
        for word in 0..<(family.addressHexDigits / 8) {
            var value: UInt32 = 0
            for index in 0..<8 { value = value << 4 | nibble(text[8 * word + index]) }
            for byte in 0..<4 {
                let shift = byteOrder == .littleEndian ? 8 * byte : 24 - 8 * byte
                bytes[4 * word + byte] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
            }
        }
        return IPAddress(family: family, bytes: bytes)
    }

    // MARK: - Rows

    /// The inode column of a row, from just after its remote endpoint: the state, then
    /// `tx_queue:rx_queue`, `tr:tm->when`, `retrnsmt`, `uid`, `timeout`, then the inode in
    /// decimal. 0 when the row ends early or the column is not a number below 2^48.
    static func inode(afterRemote start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt64 {
        var cursor = start
        for _ in 0..<6 {
            guard skipBlanks(&cursor, end) else { return 0 }
            while cursor < end && !isBlank(cursor.pointee) && cursor.pointee != UInt8(ascii: "\n") { cursor += 1 }
        }
        guard skipBlanks(&cursor, end) else { return 0 }
        var value: UInt64 = 0
        var digits = 0
        while cursor < end, case let digit = cursor.pointee &- UInt8(ascii: "0"), digit < 10 {
            value = value * 10 + UInt64(digit)
            digits += 1
            guard digits <= 15 else { return 0 }
            cursor += 1
        }
        guard digits > 0, value < 1 << 48 else { return 0 }
        return value
    }

    /// Checks `ADDRESS:PORT` at `cursor` (all hex digits) and moves `cursor` past it.
    @inlinable @inline(__always)
    static func skipEndpoint(_ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, digits: Int) -> Bool {
        guard end - cursor >= digits + 5, cursor[digits] == UInt8(ascii: ":"), areHexDigits(cursor, count: digits) else {
            return false
        }
        // The port's four digits are checked in one word, padded with four "0" digits.
        let portWord = UInt64(UInt32(littleEndian: UnsafeRawPointer(cursor + digits + 1).loadUnaligned(as: UInt32.self)))
        guard hexDigitMask(portWord | 0x3030_3030_0000_0000) == 0x8080_8080_8080_8080 else { return false }
        cursor += digits + 5
        return true
    }

    /// Checks one row starting at `cursor`, leaving `cursor` where the check stopped (never
    /// past the row's newline).
    @inlinable @inline(__always)
    static func scanRow(
        _ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, family: AddressFamily
    ) -> Row? {
        let digits = family.addressHexDigits
        _ = skipBlanks(&cursor, end)
        // "sl:" — decimal slot number and a colon.
        let slotStart = cursor
        while cursor < end && cursor.pointee &- UInt8(ascii: "0") < 10 { cursor += 1 }
        guard cursor > slotStart, cursor < end, cursor.pointee == UInt8(ascii: ":") else { return nil }
        cursor += 1
        guard skipBlanks(&cursor, end) else { return nil }
        let local = cursor
        guard skipEndpoint(&cursor, end, digits: digits), skipBlanks(&cursor, end) else { return nil }
        let remote = cursor
        guard skipEndpoint(&cursor, end, digits: digits), skipBlanks(&cursor, end), end - cursor >= 2 else {
            return nil
        }
        let high = hexValue(cursor[0]), low = hexValue(cursor[1])
        guard high < 16, low < 16 else { return nil }
        cursor += 2
        // The state column must end here: anything may follow, but only after a blank.
        guard cursor == end || isBlank(cursor.pointee) || cursor.pointee == UInt8(ascii: "\r") || cursor.pointee == UInt8(ascii: "\n")
        else { return nil }
        guard let state = TCPState(rawValue: high << 4 | low) else { return nil }
        return Row(localPort: port(local + digits + 1), state: state, localText: local, remoteText: remote, family: family)
    }
}
