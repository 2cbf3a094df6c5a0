/// The `limit` peers of one port with the most sockets, chosen from any number offered in
/// O(log limit) each and holding no more than `limit`: the top-k of a tally without sorting it.
///
/// Ties go to the lower address (IPv4 before IPv6, then numerically), so the choice does not
/// depend on the order in which peers are offered.
struct PeerSelection {
    /// The port whose peers these are.
    let port: UInt16
    /// How many are kept.
    let limit: Int
    /// A min-heap by rank: the lowest-ranked peer kept is at index 0.
    private var heap: [PeerCount] = []

    init(port: UInt16, limit: Int) {
        self.port = port
        self.limit = limit
        heap.reserveCapacity(limit)
    }

    /// Keeps `peer` when it ranks among the best `limit` so far.
    mutating func offer(_ peer: PeerCount) {
        if heap.count < limit {
            heap.append(peer)
            siftUp(heap.count - 1)
        } else if limit > 0, Self.ranksAbove(peer, heap[0]) {
            heap[0] = peer
            siftDown(0)
        }
    }

    /// The peers kept, best first.
    var ranked: [PeerCount] { heap.sorted(by: Self.ranksAbove) }

    /// More sockets first; on a tie, the lower address.
    static func ranksAbove(_ left: PeerCount, _ right: PeerCount) -> Bool {
        left.count != right.count ? left.count > right.count : left.address < right.address
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.ranksAbove(heap[parent], heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            var lowest = parent
            let left = 2 * parent + 1, right = left + 1
            if left < heap.count && Self.ranksAbove(heap[lowest], heap[left]) { lowest = left }
            if right < heap.count && Self.ranksAbove(heap[lowest], heap[right]) { lowest = right }
            guard lowest != parent else { return }
            heap.swapAt(parent, lowest)
            parent = lowest
        }
    }
}
