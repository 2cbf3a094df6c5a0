import Foundation
import TWMonCore

/// Socket counts per local port and state, as `ss` or `twmonctl scan --json` report them, in
/// one comparable form.
struct SocketCensus: Equatable, CustomStringConvertible {
    /// port → state name → count
    var ports: [Int: [String: Int]] = [:]

    /// From `ss -tanH` lines: `STATE RECV-Q SEND-Q LOCAL PEER`.
    init(ssOutput: String) {
        let names = [
            "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
            "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT",
            "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
        ]
        for line in ssOutput.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 5, let state = names[String(columns[0])],
                  let colon = columns[3].lastIndex(of: ":"), let port = Int(columns[3][columns[3].index(after: colon)...])
            else { continue }
            ports[port, default: [:]][state, default: 0] += 1
        }
    }

    /// From `twmonctl scan --json` (or a Varlink `ListPorts` reply's `ports` array).
    init(portObjects: [[String: Any]]) {
        for object in portObjects {
            guard let port = object["port"] as? Int, let states = object["states"] as? [String: Int] else { continue }
            ports[port] = states
        }
    }

    init(scanJSON: String) throws {
        let root = try JSONSerialization.jsonObject(with: Data(scanJSON.utf8)) as? [String: Any]
        self.init(portObjects: root?["ports"] as? [[String: Any]] ?? [])
    }

    var description: String {
        ports.keys.sorted().map { port in
            "\(port): " + ports[port]!.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }.joined(separator: "\n")
    }
}
