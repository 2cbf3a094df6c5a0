/// Connection IDs in order of their last activity, least recent first: a doubly linked list
/// threaded through a dictionary, so appending, removing any member and finding the least
/// recent one are O(1) however many there are.
struct RecencyOrder: Sendable {
    typealias ID = ConnectionLedger.ID

    private struct Links: Sendable {
        var previous: ID?
        var next: ID?
    }

    private var links: [ID: Links] = [:]
    /// The least recently active member.
    private(set) var first: ID?
    private var last: ID?

    var isEmpty: Bool { links.isEmpty }

    /// The member after `id` in order of activity (more recent), nil for the last.
    func next(after id: ID) -> ID? { links[id]?.next }

    /// Adds `id` as the most recently active (moves it there if it is a member).
    mutating func append(_ id: ID) {
        remove(id)
        links[id] = Links(previous: last, next: nil)
        if let last { links[last]!.next = id } else { first = id }
        last = id
    }

    /// Removes `id` if it is a member.
    mutating func remove(_ id: ID) {
        guard let removed = links.removeValue(forKey: id) else { return }
        if let previous = removed.previous { links[previous]!.next = removed.next } else { first = removed.next }
        if let next = removed.next { links[next]!.previous = removed.previous } else { last = removed.previous }
    }
}
