/// An error reply a Varlink method call can get from twmond.
public enum VarlinkError: Error, Sendable, Equatable {
    /// `org.varlink.service.InterfaceNotFound`: the call names an interface twmond lacks.
    case interfaceNotFound(interface: String)
    /// `org.varlink.service.MethodNotFound`: the interface has no such method.
    case methodNotFound(method: String)
    /// `org.varlink.service.InvalidParameter`: a parameter is unknown, missing or mistyped.
    case invalidParameter(parameter: String)
    /// `io.twmon.Monitor.NotReady`: no scan has finished yet.
    case notReady
    /// `io.twmon.Monitor.InvalidState`: `state` names no TCP state.
    case invalidState(state: String)
    /// `io.twmon.Monitor.NamespaceNotFound`: no namespace of the latest scan is named `netns`.
    case namespaceNotFound(netns: String)

    /// The error's qualified name, as sent in `"error"`.
    public var name: String {
        switch self {
        case .interfaceNotFound: "org.varlink.service.InterfaceNotFound"
        case .methodNotFound: "org.varlink.service.MethodNotFound"
        case .invalidParameter: "org.varlink.service.InvalidParameter"
        case .notReady: "io.twmon.Monitor.NotReady"
        case .invalidState: "io.twmon.Monitor.InvalidState"
        case .namespaceNotFound: "io.twmon.Monitor.NamespaceNotFound"
        }
    }

    /// Writes the error's parameters object.
    public func writeParameters(into json: inout JSONWriter) {
        json.beginObject()
        switch self {
        case .interfaceNotFound(let interface): json.member("interface", interface)
        case .methodNotFound(let method): json.member("method", method)
        case .invalidParameter(let parameter): json.member("parameter", parameter)
        case .notReady: break
        case .namespaceNotFound(let netns): json.member("netns", netns)
        case .invalidState(let state):
            json.member("state", state)
            json.array("expected") { json in
                for known in TCPState.allCases { json.value(known.name) }
            }
        }
        json.endObject()
    }
}
