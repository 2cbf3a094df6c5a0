/// The `tr:tm->when` column of a /proc/net/tcp row, read only for the rows that need it
/// (TIME_WAIT): `03:0000167F` is the TIME_WAIT timer with 0x167F clock ticks left.
///
/// The kernel prints a row with one format (`%02X %08X:%08X %02X:%08lX` after the remote
/// endpoint: state, `tx_queue:rx_queue`, `tr:tm->when`), so the column sits at a fixed offset
/// from the remote endpoint the row scan has checked; it is read there, its separators and digits
/// checked, eight digits at a time. A row laid out otherwise has no timer (nil): its socket is
/// still counted, only not in the close rate.
extension ProcNetTCPParser.Row {
    /// The timer kind (`tr`) and clock ticks left (`tm->when`) of this row, or nil when the
    /// column is not where the kernel puts it or not hex. `end` is the end of the buffer the row
    /// is in; nothing at or past it is read.
    @inlinable @inline(__always)
    public func timer(before end: UnsafePointer<UInt8>) -> (kind: UInt8, ticks: UInt32)? {
        typealias Parser = ProcNetTCPParser
        // " 06 00000000:00000000 03:0000167F": blank, state, blank, tx:rx, blank, tr:when.
        let column = remoteText + family.addressHexDigits + 5
        guard end - column >= 33, column[3] == UInt8(ascii: " "), column[12] == UInt8(ascii: ":"),
              column[21] == UInt8(ascii: " "), column[24] == UInt8(ascii: ":")
        else { return nil }
        let high = Parser.hexValue(column[22]), low = Parser.hexValue(column[23])
        let word = Parser.load(column + 25)
        guard high < 16, low < 16, Parser.hexDigitMask(word) == 0x8080_8080_8080_8080 else { return nil }
        return (high << 4 | low, Self.hexValue(ofEightDigits: word))
    }

    /// Milliseconds left of a TIME_WAIT timer in this row (timer kind 3), or -1 when the row
    /// has none, another timer, or more than 60 s left (out of range).
    @inlinable @inline(__always)
    public func timeWaitMillisecondsLeft(before end: UnsafePointer<UInt8>) -> Int {
        guard let timer = timer(before: end), timer.kind == TimeWaitTimer.procTimerKind else { return -1 }
        return TimeWaitTimer.millisecondsLeft(procTicks: timer.ticks) ?? -1
    }

    /// The value of eight hex digits loaded little-endian (the first digit in the lowest byte),
    /// all already checked to be hex digits.
    @inlinable @inline(__always)
    static func hexValue(ofEightDigits word: UInt64) -> UInt32 {
        // Each byte to its nibble: the low four bits, plus 9 for a letter (bit 6 set).
        let nibbles = (word & 0x0F0F_0F0F_0F0F_0F0F) &+ ((word >> 6) & 0x0101_0101_0101_0101) &* 9
        // Pairs of nibbles to bytes, the first of each pair the high one: in 16-bit lanes.
        let bytes = ((nibbles & 0x000F_000F_000F_000F) << 4) | ((nibbles >> 8) & 0x000F_000F_000F_000F)
        // Lane 0 holds the most significant byte.
        return UInt32(truncatingIfNeeded: (bytes & 0xFF) << 24 | (bytes >> 16 & 0xFF) << 16 | (bytes >> 32 & 0xFF) << 8 | (bytes >> 48 & 0xFF))
    }
}
