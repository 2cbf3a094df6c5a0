/// The samples of a Prometheus text exposition, parsed back (`name{labels} value`), for the
/// tests and the benchmark that read twmond's (and node_exporter's) metrics.
public struct ExpositionSamples: Sendable {
    /// One sample line.
    public struct Sample: Sendable {
        /// The series as written: name and labels (`twmon_sockets{state="listen"}`).
        public var series: String
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public var samples: [Sample] = []

    /// Parses the sample lines of `text` (label values without escapes, as twmond's are here).
    public init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: Substring
            if let brace = series.firstIndex(of: "{") {
                name = series[..<brace]
                for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            } else {
                name = series
            }
            samples.append(Sample(series: String(series), name: String(name), labels: labels, value: value))
        }
    }

    /// The samples of metric `name`.
    public func named(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    /// The value of a metric with one sample.
    public func value(_ name: String) -> Double? { named(name).first?.value }

    /// The value of the sample whose series is exactly `series` (name and labels as written).
    public func value(series: String) -> Double? { samples.first { $0.series == series }?.value }
}
