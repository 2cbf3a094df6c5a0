/// The methods twmond answers, by their Varlink names: the server dispatches on them and
/// `twmonctl` calls them, so both spell each name once, here.
public enum VarlinkMethod: String, Sendable, CaseIterable {
    /// The service's vendor, product, version, URL and interfaces.
    case getInfo = "org.varlink.service.GetInfo"
    /// The Varlink IDL of one interface.
    case getInterfaceDescription = "org.varlink.service.GetInterfaceDescription"
    /// `MonitorStatus`: the latest scan's summary and the active alerts.
    case getStatus = "io.twmon.Monitor.GetStatus"
    /// `PortListing`: selected ports of the latest scan.
    case listPorts = "io.twmon.Monitor.ListPorts"
    /// `AlertListing`: active alerts and recent transitions.
    case listAlerts = "io.twmon.Monitor.ListAlerts"
}
