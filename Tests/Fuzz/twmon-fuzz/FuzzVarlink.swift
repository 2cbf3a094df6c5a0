import TWMonCore

/// A small snapshot to answer from.
private let snapshot = MonitorSnapshot(
    table: PortTable(ports: [PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 12]))]),
    scannedAt: 1_764_025_553.5, scanDuration: .milliseconds(3), source: "proc", scanCount: 1, alerts: [],
    namespace: NamespaceCounters(timeWait: NamespaceTimeWait(timeWait: 12, maxBuckets: 262_144)), history: [],
    configuration: Configuration(), startedAt: 1_764_025_000, problem: nil
)

/// Fuzz target `varlink`: bytes as what a control-socket client sends, fed to the framer in two
/// chunks; every message is answered as twmond answers it. A reply must be one NUL-terminated
/// JSON object, and a call that decodes must re-encode to the same call.
func fuzzVarlink(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var framer = VarlinkFramer(maximumMessageSize: 4_096)
    let half = size / 2
    for chunk in [bytes[..<half], bytes[half...]] {
        framer.append(chunk)
        while true {
            let message: ArraySlice<UInt8>
            do {
                guard let next = try framer.nextMessage() else { break }
                message = next
            } catch {
                return 0
            }
            if case .send(let reply) = MonitorService.respond(to: message, snapshot: snapshot, now: 1_764_025_560) {
                precondition(reply.last == 0 && !reply.dropLast().contains(0), "a reply is one NUL-terminated message")
                guard case .object? = try? JSONValue.parse(reply.dropLast()) else { preconditionFailure("a reply is a JSON object") }
            }
            if let call = try? VarlinkCall(message: message) {
                let again = try? VarlinkCall(message: call.message)
                precondition(again?.method == call.method && again?.oneway == call.oneway && again?.upgrade == call.upgrade)
            }
        }
    }
    return 0
}
