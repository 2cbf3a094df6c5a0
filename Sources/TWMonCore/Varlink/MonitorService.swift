/// twmond's Varlink service as a pure function: one received message and the latest snapshot
/// in, the bytes to send back out. No I/O and no waiting, so every reply is tested exactly and
/// the socket server only moves bytes.
public enum MonitorService {
    /// What `GetInfo` reports as the service's home.
    public static let url = "file:///usr/share/doc/twmon/README.md"

    /// What to do with one received message.
    public enum Response: Sendable, Equatable {
        /// Send these bytes (one reply, NUL-terminated).
        case send([UInt8])
        /// A `oneway` call: send nothing.
        case none
        /// Not a Varlink message at all: end the connection without a reply.
        case disconnect(VarlinkCallError)
    }

    /// Answers one message (without its NUL). `snapshot` is the latest scan (nil before the
    /// first one); `now` is the wall clock in seconds since the epoch.
    public static func respond(to message: some Collection<UInt8>, snapshot: MonitorSnapshot?, now: Double) -> Response {
        switch parse(message) {
        case .respond(let response): response
        case .call(let call): call.oneway ? .none : .send(encode(reply(to: call, snapshot: snapshot, now: now)))
        }
    }

    /// A received message, read.
    public enum Request: Sendable {
        /// A call to answer (unless it is `oneway`).
        case call(VarlinkCall)
        /// Not a call that can be answered from a snapshot: respond this way.
        case respond(Response)
    }

    /// Reads one message (without its NUL).
    public static func parse(_ message: some Collection<UInt8>) -> Request {
        do {
            return .call(try VarlinkCall(message: message))
        } catch {
            switch error {
            case .invalidMember(let name), .duplicateKey(let name):
                return .respond(.send(encode(.failure(.invalidParameter(parameter: name)))))
            case .invalidJSON, .notAnObject:
                return .respond(.disconnect(error))
            }
        }
    }

    /// Which shareable reply `call` asks for, or nil when its reply is not worth sharing
    /// (small constant replies, invalid parameters). Calls with equal keys on the same
    /// snapshot get the same bytes, so a server may encode them once and send them to all.
    /// `GetStatus` carries ages in whole seconds, so its key includes the second of `now`.
    /// A call that asks for an upgrade gets its own (error) reply from `reply(to:)`.
    public static func sharedReplyKey(for call: VarlinkCall, now: Double) -> SharedReplyKey? {
        guard !call.upgrade else { return nil }
        switch VarlinkMethod(rawValue: call.method) {
        case .getStatus:
            guard call.parameters.isEmpty, now.isFinite, abs(now) < 1e15 else { return nil }
            return .status(second: Int64(now.rounded(.down)))
        case .listAlerts:
            return call.parameters.isEmpty ? .alerts : nil
        case .listPorts:
            guard (try? expectOnly(PortQuery.parameters, in: call)) != nil, let selection = try? PortQuery(call) else { return nil }
            return .ports(selection)
        case .getInfo, .getInterfaceDescription, nil:
            return nil
        }
    }

    /// The parameters object of the reply to `call` as JSON, or the error it gets.
    public static func reply(to call: VarlinkCall, snapshot: MonitorSnapshot?, now: Double) -> Result<[UInt8], VarlinkError> {
        Result { () throws(VarlinkError) -> [UInt8] in
            // No method takes the connection over: the upgrade is refused, naming the member,
            // and the connection stays a Varlink connection.
            if call.upgrade { throw .invalidParameter(parameter: "upgrade") }
            var json = JSONWriter()
            switch VarlinkMethod(rawValue: call.method) {
            case .getInfo:
                try expectOnly([], in: call)
                writeInfo(into: &json)
            case .getInterfaceDescription:
                try expectOnly(["interface"], in: call)
                guard case .string(let name)? = call.parameter("interface") else {
                    throw .invalidParameter(parameter: "interface")
                }
                guard let description = VarlinkInterfaceDescription.definition(of: name) else {
                    throw .interfaceNotFound(interface: name)
                }
                json.beginObject()
                json.member("description", description)
                json.endObject()
            case .getStatus:
                try expectOnly([], in: call)
                MonitorStatus(snapshot: try ready(snapshot), now: now).write(into: &json)
            case .listPorts:
                try expectOnly(PortQuery.parameters, in: call)
                let selection = try PortQuery(call)
                let snapshot = try ready(snapshot)
                do throws(PortListing.NamespaceNotFound) {
                    let listing = try PortListing(
                        snapshot: snapshot, netns: selection.netns, listeningOnly: selection.listeningOnly, state: selection.state,
                        limit: selection.limit)
                    // A port's object is about 190 bytes (its namespace's included): 50 000
                    // ports take one 10 MB buffer, not a doubling chain up to 16 MB.
                    json.reserveCapacity(256 + listing.ports.count * PortListing.typicalPortBytes)
                    listing.write(into: &json)
                } catch {
                    throw .namespaceNotFound(netns: error.netns)
                }
            case .listAlerts:
                try expectOnly([], in: call)
                AlertListing(snapshot: try ready(snapshot)).write(into: &json)
            case nil:
                if VarlinkInterfaceDescription.names.contains(call.interface) {
                    throw .methodNotFound(method: call.method)
                }
                throw .interfaceNotFound(interface: call.interface)
            }
            return json.bytes
        }
    }

    /// What comes before the parameters object of a successful reply.
    public static let replyPrefix = Array(#"{"parameters":"#.utf8)
    /// What comes after it: the closing brace and the NUL.
    public static let replySuffix: [UInt8] = [UInt8(ascii: "}"), 0]

    /// `{"parameters":{…}}` or `{"error":"…","parameters":{…}}`, NUL-terminated.
    public static func encode(_ result: Result<[UInt8], VarlinkError>) -> [UInt8] {
        switch result {
        case .success(let parameters):
            return replyPrefix + parameters + replySuffix
        case .failure(let error):
            var json = JSONWriter()
            json.beginObject()
            json.member("error", error.name)
            json.key("parameters")
            error.writeParameters(into: &json)
            json.endObject()
            return json.bytes + [0]
        }
    }

    private static func writeInfo(into json: inout JSONWriter) {
        json.beginObject()
        json.member("vendor", "twmon")
        json.member("product", "twmond")
        json.member("version", TWMonVersion.current)
        json.member("url", url)
        json.array("interfaces") { json in
            for name in VarlinkInterfaceDescription.names { json.value(name) }
        }
        json.endObject()
    }

    /// Rejects parameters the method does not declare.
    private static func expectOnly(_ names: Set<String>, in call: VarlinkCall) throws(VarlinkError) {
        if let unknown = call.parameters.first(where: { !names.contains($0.key) }) {
            throw .invalidParameter(parameter: unknown.key)
        }
    }

    private static func ready(_ snapshot: MonitorSnapshot?) throws(VarlinkError) -> MonitorSnapshot {
        guard let snapshot else { throw .notReady }
        return snapshot
    }
}

/// The parameters of a `ListPorts` call, validated: which ports, of which namespace.
public struct PortQuery: Sendable, Hashable {
    /// The parameters `ListPorts` declares.
    static let parameters: Set<String> = ["listeningOnly", "state", "limit", "netns"]

    /// Only server ports.
    public var listeningOnly = false
    /// Only ports with a socket in this state.
    public var state: TCPState?
    /// At most this many ports.
    public var limit: Int?
    /// Only the namespace of this name.
    public var netns: String?

    public init(listeningOnly: Bool = false, state: TCPState? = nil, limit: Int? = nil, netns: String? = nil) {
        self.listeningOnly = listeningOnly
        self.state = state
        self.limit = limit
        self.netns = netns
    }

    /// Reads the parameters of `call`.
    init(_ call: VarlinkCall) throws(VarlinkError) {
        switch call.parameter("listeningOnly") {
        case nil: break
        case .bool(let flag)?: listeningOnly = flag
        default: throw .invalidParameter(parameter: "listeningOnly")
        }
        switch call.parameter("state") {
        case nil: break
        case .string(let name)?:
            guard let named = TCPState(name: name) else { throw .invalidState(state: name) }
            state = named
        default: throw .invalidParameter(parameter: "state")
        }
        switch call.parameter("limit") {
        case nil: break
        case .integer(let count)? where count >= 0: limit = count
        default: throw .invalidParameter(parameter: "limit")
        }
        switch call.parameter("netns") {
        case nil: break
        case .string(let name)?: netns = name
        default: throw .invalidParameter(parameter: "netns")
        }
    }
}
