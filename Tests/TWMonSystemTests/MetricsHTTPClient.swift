import Foundation
import TWMonTestSupport

/// HTTP requests made from inside a test network namespace (the test process is outside it),
/// with Debian's own python3 and its standard library: one request per connection, or several
/// on one kept-alive connection.
struct MetricsHTTPClient {
    /// One response.
    struct Response: Decodable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    let namespace: ScratchNamespace
    let host: String
    let port: Int

    private static let script = """
        import http.client, json, sys
        host, port, requests = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
        connection = http.client.HTTPConnection(host, port, timeout=10)
        out = []
        for method, path in requests:
            connection.request(method, path)
            response = connection.getresponse()
            body = response.read().decode()
            out.append({"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()}, "body": body})
        print(json.dumps(out))
        """

    /// Sends `requests` (method, path) in order on one connection.
    func send(_ requests: [(String, String)]) throws -> [Response] {
        let list = try String(decoding: JSONSerialization.data(withJSONObject: requests.map { [$0.0, $0.1] }), as: UTF8.self)
        let result = try namespace.run(["/usr/bin/python3", "-c", Self.script, host, String(port), list])
        guard result.status == 0 else { throw Failed(description: "python3 exited \(result.status): \(result.standardError)") }
        return try JSONDecoder().decode([Response].self, from: Data(result.standardOutput.utf8))
    }

    /// `GET /metrics`.
    func metrics() throws -> Response {
        try send([("GET", "/metrics")])[0]
    }

    /// Retries `GET /metrics` until it answers 200 or `timeout` passes.
    func waitForMetrics(timeout: Duration = .seconds(20)) throws -> Response {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let response = try? metrics(), response.status == 200 { return response }
            guard ContinuousClock.now < deadline else { throw Failed(description: "no metrics at \(host):\(port) within \(timeout)") }
            usleep(100_000)
        }
    }
}

extension ExpositionSamples {
    /// `twmon_port_sockets` as `SocketCensus` counts it (non-zero states, upper-case names).
    var census: SocketCensus {
        var census = SocketCensus(ssOutput: "")
        for sample in named("twmon_port_sockets") where sample.value > 0 {
            census.ports[Int(sample.labels["port"]!)!, default: [:]][sample.labels["state"]!.uppercased()] = Int(sample.value)
        }
        return census
    }
}
