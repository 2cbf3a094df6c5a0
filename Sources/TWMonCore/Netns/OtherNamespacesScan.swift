/// What one `OtherNamespaces.scan` found: twmond's own namespace named, and every other
/// namespace that could be read.
public struct OtherNamespacesScan: Sendable, Equatable {
    /// What the pass cost and how each namespace was read.
    public struct Figures: Sendable, Equatable {
        /// Namespaces other than the own one that processes were found in.
        public var discovered = 0
        /// Of those, read in full (`/proc/PID/net/tcp` and `tcp6`).
        public var readInFull = 0
        /// Kept from their last full read: sockstat and dev unchanged since.
        public var unchanged = 0
        /// Without any TCP socket: an empty table, exact without a full read.
        public var empty = 0
        /// Left out of `others`: none of their processes could be read (all gone, or a file
        /// not what it should be).
        public var unreadable = 0
        /// The whole pass, discovery included.
        public var duration: Duration = .zero

        public init() {}
    }

    /// twmond's own namespace (`host` when it is PID 1's), which the caller reads itself.
    public var own: NetworkNamespace
    /// The other namespaces read, by name.
    public var others: [OtherNamespaceRead]
    public var figures: Figures

    public init(own: NetworkNamespace, others: [OtherNamespaceRead] = [], figures: Figures = Figures()) {
        self.own = own
        self.others = others
        self.figures = figures
    }
}
