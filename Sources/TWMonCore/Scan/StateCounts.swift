/// Socket counts per TCP state, stored in one SIMD vector indexed by the kernel's state number
/// so that adding and comparing tables is cheap and allocation-free.
public struct StateCounts: Sendable, Hashable {
    @usableFromInline
    internal var storage: SIMD16<UInt32>

    /// No sockets in any state.
    @inlinable
    public init() { storage = .zero }

    /// Counts taken from a dictionary of states.
    public init(_ counts: [TCPState: Int]) {
        self.init()
        for (state, count) in counts { self[state] = count }
    }

    /// The number of sockets in `state`.
    @inlinable
    public subscript(state: TCPState) -> Int {
        get { Int(storage[Int(state.rawValue)]) }
        set { storage[Int(state.rawValue)] = UInt32(truncatingIfNeeded: newValue) }
    }

    /// Adds one socket in the state with kernel number `rawState` (1...12, already validated).
    @inlinable
    mutating func increment(rawState: Int) {
        storage[rawState] &+= 1
    }

    /// All sockets, whatever their state.
    public var total: Int { Int(storage.wrappedSum()) }

    /// True when no state has a socket.
    public var isEmpty: Bool { storage == .zero }

    /// The states that have at least one socket, in kernel order, with their counts.
    public var nonZero: [(state: TCPState, count: Int)] {
        TCPState.allCases.compactMap { state in
            let count = self[state]
            return count == 0 ? nil : (state, count)
        }
    }

    public static func + (lhs: StateCounts, rhs: StateCounts) -> StateCounts {
        var sum = lhs
        sum += rhs
        return sum
    }

    public static func += (lhs: inout StateCounts, rhs: StateCounts) {
        lhs.storage &+= rhs.storage
    }
}
