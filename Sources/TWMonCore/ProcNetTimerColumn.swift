/// The `tr:tm->when` column of a /proc/net/tcp row (the sixth: after `st` and
/// `tx_queue:rx_queue`), read only for the rows that need it (TIME_WAIT): `03:0000167F` is the
/// TIME_WAIT timer with 0x167F clock ticks left.
extension ProcNetTCPParser.Row {
    /// The timer kind (`tr`) and clock ticks left (`tm->when`) of this row, or nil when the
    /// columns are not there or not hex. `end` is the end of the buffer the row is in; nothing
    /// at or past it is read.
    @inlinable
    public func timer(before end: UnsafePointer<UInt8>) -> (kind: UInt8, ticks: UInt32)? {
        typealias Parser = ProcNetTCPParser
        // The state column's two digits were checked by the row scan.
        var cursor = remoteText + family.addressHexDigits + 5
        _ = Parser.skipBlanks(&cursor, end)
        cursor += 2
        // tx_queue:rx_queue, then tr:tm->when.
        guard Parser.skipBlanks(&cursor, end), end - cursor >= 17, cursor[8] == UInt8(ascii: ":"),
              Parser.areHexDigits(cursor, count: 8), Parser.areHexDigits(cursor + 9, count: 8)
        else { return nil }
        cursor += 17
        guard Parser.skipBlanks(&cursor, end), end - cursor >= 11, cursor[2] == UInt8(ascii: ":"),
              Parser.areHexDigits(cursor + 3, count: 8)
        else { return nil }
        let high = Parser.hexValue(cursor[0]), low = Parser.hexValue(cursor[1])
        guard high < 16, low < 16 else { return nil }
        var ticks: UInt32 = 0
        for index in 3..<11 { ticks = ticks << 4 | Parser.nibble(cursor[index]) }
        return (high << 4 | low, ticks)
    }
}
