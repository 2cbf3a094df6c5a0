/// The order of the bytes of a multi-byte integer in a machine's memory.
public enum ByteOrder: Sendable, CaseIterable {
    case littleEndian
    case bigEndian

    /// This machine's order, which is also that of the kernel whose /proc files it reads.
    @inlinable
    public static var host: ByteOrder { UInt16(1).littleEndian == 1 ? .littleEndian : .bigEndian }
}
