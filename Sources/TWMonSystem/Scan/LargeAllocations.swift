import CSystemd

/// How the process's large allocations are served.
public enum LargeAllocations {
    /// Allocations of at least this many bytes get mappings of their own.
    public static let mappedFrom: Int32 = 256 << 10

    /// Serves allocations from `mappedFrom` bytes up with their own mappings, returned to the
    /// kernel when freed. twmond encodes replies of several MB (ListPorts on a large table)
    /// every scan on two event-loop threads; under glibc's adaptive threshold those end up in
    /// per-thread arenas whose resident size only grows. Returns false if glibc refused.
    @discardableResult
    public static func returnToTheKernelWhenFreed() -> Bool {
        mallopt(M_MMAP_THRESHOLD, mappedFrom) == 1
    }
}
