import Glibc
import TWMonTestSupport

/// Scrapes a Prometheus exporter listening on loopback inside a benchmark namespace, the way a
/// Prometheus server does: an HTTP GET of `/metrics`, uncompressed, one connection per scrape.
///
/// The benchmark itself runs in the host's namespace; each connection's socket is made inside
/// the namespace (`ScratchNamespace.makeSocket`) and stays there.
struct MetricsScraper {
    let namespace: ScratchNamespace
    let port: UInt16

    /// Fetches `/metrics` and returns the body; throws when the exporter does not answer 200.
    func scrape(timeout: Double = 5) throws -> String {
        let descriptor = try namespace.makeSocket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchFailure("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        let request = Array("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw BenchFailure("send to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let deadline = monotonicNow() + timeout
        while true {
            try checkInterrupted()
            guard monotonicNow() < deadline else { throw BenchFailure("127.0.0.1:\(port) did not answer within \(Int(timeout)) s") }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 250) > 0 else { continue }
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw BenchFailure("recv from 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            response += chunk[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let statusLine = text.split(separator: "\r\n").first, statusLine.split(separator: " ").dropFirst().first == "200",
              let bodyStart = text.firstRange(of: "\r\n\r\n")
        else { throw BenchFailure("127.0.0.1:\(port)/metrics: \(text.prefix(80))") }
        return String(text[bodyStart.upperBound...])
    }
}
