/// One alert of any kind, with the figures of the scan that produced it.
public struct Alert: Sendable, Equatable {
    /// What the alert is about.
    public var kind: AlertKind
    /// Which port, destination or namespace.
    public var subject: AlertSubject
    /// The counted figure now (`kind.countName`): TIME_WAIT sockets on the port or in the
    /// namespace, old CLOSE_WAIT sockets on the port, sockets holding ports of the destination,
    /// TIME_WAIT sockets destroyed in the last interval.
    public var count: Int
    /// The threshold, clear level and sustain in force.
    public var limits: AlertLimits
    /// When the alert was raised (wall clock, seconds since the epoch).
    public var since: Double
    /// The highest count seen while the alert was active.
    public var peak: Int
    /// What else the kind reports.
    public var figures: AlertFigures

    public init(kind: AlertKind, subject: AlertSubject, count: Int, limits: AlertLimits, since: Double, peak: Int, figures: AlertFigures = AlertFigures()) {
        self.kind = kind
        self.subject = subject
        self.count = count
        self.limits = limits
        self.since = since
        self.peak = peak
        self.figures = figures
    }

    /// A server port's TIME_WAIT alert.
    public static func timeWait(port: UInt16, timeWait: Int, established: Int, limits: AlertLimits, since: Double, peak: Int) -> Alert {
        Alert(kind: .timeWait, subject: .port(port), count: timeWait, limits: limits, since: since, peak: peak,
              figures: AlertFigures(established: established))
    }

    /// The namespace's TIME_WAIT total near `tcp_max_tw_buckets`.
    public static func twBuckets(timeWait: Int, maxBuckets: Int, ratio: Double, threshold: Int, clearRatio: Double = 0.8, sustain: Int = 3, since: Double, peak: Int? = nil) -> Alert {
        Alert(kind: .twBuckets, subject: .namespace, count: timeWait,
              limits: AlertLimits(threshold: threshold, clearRatio: clearRatio, sustain: sustain), since: since, peak: peak ?? timeWait,
              figures: AlertFigures(maxBuckets: maxBuckets, ratio: ratio))
    }

    /// The port, for the per-port kinds.
    public var port: UInt16? { subject.port }
}

/// The figures an alert carries besides its count; each kind fills its own, the rest stay nil.
/// Every figure has one JSON member and one journal field (`entries`), so listings, the
/// journal and the control socket write them without knowing the kinds.
public struct AlertFigures: Sendable, Equatable {
    /// `time_wait`: ESTABLISHED sockets on the port.
    public var established: Int?
    /// `tw_buckets`: `net.ipv4.tcp_max_tw_buckets`.
    public var maxBuckets: Int?
    /// `tw_buckets`, `ephemeral_ports`: the configured share of the limit that raises the alert.
    public var ratio: Double?
    /// `close_wait`: the age of the oldest CLOSE_WAIT socket on the port, in whole seconds.
    public var oldestAgeSeconds: Int?
    /// `close_wait`: the age from which a CLOSE_WAIT socket counts.
    public var minAgeSeconds: Double?
    /// `ephemeral_ports`: the TIME_WAIT sockets among the destination's sockets.
    public var timeWait: Int?
    /// `ephemeral_ports`: local ports usable for connections (`ip_local_port_range` minus
    /// `ip_local_reserved_ports`).
    public var usablePorts: Int?
    /// `ephemeral_ports`: `ip_local_port_range` as `LOW-HIGH`.
    public var portRange: String?
    /// `ephemeral_ports`: `net.ipv4.tcp_tw_reuse` (0 off, 1 on, 2 loopback only).
    public var twReuse: Int?
    /// `tw_overflow`: TIME_WAIT sockets destroyed since twmond started.
    public var overflowSinceStart: Int?
    /// `tw_overflow`: connections that reused a TIME_WAIT 4-tuple since twmond started (TWRecycled).
    public var twRecycledSinceStart: Int?
    /// `time_wait`, `close_wait`: who listens on the port (the cgroup of its LISTEN socket),
    /// when known. Written as the port objects write it (`unit`, `cgroup`, `container`), not
    /// as an entry.
    public var owner: PortOwner?
    /// `time_wait`: the port's active closes per second over the last 10 and 60 s, from the
    /// TIME_WAIT timers. Written as `closes_per_second`, not as an entry.
    public var recentCloses: RecentCloses?

    public init(
        established: Int? = nil, maxBuckets: Int? = nil, ratio: Double? = nil, oldestAgeSeconds: Int? = nil,
        minAgeSeconds: Double? = nil, timeWait: Int? = nil, usablePorts: Int? = nil, portRange: String? = nil,
        twReuse: Int? = nil, overflowSinceStart: Int? = nil, twRecycledSinceStart: Int? = nil,
        owner: PortOwner? = nil, recentCloses: RecentCloses? = nil
    ) {
        self.established = established
        self.maxBuckets = maxBuckets
        self.ratio = ratio
        self.oldestAgeSeconds = oldestAgeSeconds
        self.minAgeSeconds = minAgeSeconds
        self.timeWait = timeWait
        self.usablePorts = usablePorts
        self.portRange = portRange
        self.twReuse = twReuse
        self.overflowSinceStart = overflowSinceStart
        self.twRecycledSinceStart = twRecycledSinceStart
        self.owner = owner
        self.recentCloses = recentCloses
    }

    /// The figures of a subject whose sockets are gone: the counts of sockets zero, the
    /// settings and limits kept.
    public var gone: AlertFigures {
        var figures = self
        if figures.established != nil { figures.established = 0 }
        if figures.oldestAgeSeconds != nil { figures.oldestAgeSeconds = 0 }
        if figures.timeWait != nil { figures.timeWait = 0 }
        if figures.recentCloses != nil { figures.recentCloses = RecentCloses() }
        return figures
    }

    /// A figure's value.
    public enum Value: Sendable, Equatable {
        case integer(Int)
        case number(Double)
        case text(String)
    }

    /// One figure: its JSON member name and its value. The journal field is `TWMON_` and the
    /// name upper-cased.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: Value

        public var journalField: String { "TWMON_" + name.uppercased() }
    }

    /// The figures present, in a fixed order.
    public var entries: [Entry] {
        var entries: [Entry] = []
        func add(_ name: String, _ value: Value?) { if let value { entries.append(Entry(name: name, value: value)) } }
        add("established", established.map(Value.integer))
        add("max_tw_buckets", maxBuckets.map(Value.integer))
        add("ratio", ratio.map(Value.number))
        add("oldest_age_seconds", oldestAgeSeconds.map(Value.integer))
        add("min_age", minAgeSeconds.map(Value.number))
        add("time_wait", timeWait.map(Value.integer))
        add("usable_ports", usablePorts.map(Value.integer))
        add("port_range", portRange.map(Value.text))
        add("tw_reuse", twReuse.map(Value.integer))
        add("overflow_since_start", overflowSinceStart.map(Value.integer))
        add("tw_recycled_since_start", twRecycledSinceStart.map(Value.integer))
        return entries
    }

    /// Reads the figures present in a JSON alert object.
    public init(json: JSONValue) throws(JSONFieldError) {
        func int(_ key: String) throws(JSONFieldError) -> Int? { json.optionalField(key) == nil ? nil : try json.int(key) }
        func double(_ key: String) throws(JSONFieldError) -> Double? { json.optionalField(key) == nil ? nil : try json.double(key) }
        func string(_ key: String) throws(JSONFieldError) -> String? { json.optionalField(key) == nil ? nil : try json.string(key) }
        self.init(
            established: try int("established"), maxBuckets: try int("max_tw_buckets"), ratio: try double("ratio"),
            oldestAgeSeconds: try int("oldest_age_seconds"), minAgeSeconds: try double("min_age"),
            timeWait: try int("time_wait"), usablePorts: try int("usable_ports"), portRange: try string("port_range"),
            twReuse: try int("tw_reuse"), overflowSinceStart: try int("overflow_since_start"),
            twRecycledSinceStart: try int("tw_recycled_since_start"), owner: try PortOwner(portJSON: json),
            recentCloses: try RecentCloses(ratesIn: json)
        )
    }
}
