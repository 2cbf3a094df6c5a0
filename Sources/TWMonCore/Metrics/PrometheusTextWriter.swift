/// Writes the Prometheus text exposition format (version 0.0.4) into a byte buffer: `# HELP`
/// and `# TYPE` lines, samples with escaped label values, integers and floats as Prometheus
/// reads them. No allocation per sample beyond the buffer's growth.
public struct PrometheusTextWriter: Sendable {
    /// The exposition so far.
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 4_096) {
        bytes.reserveCapacity(capacity)
    }

    /// `# HELP name help` and `# TYPE name type`.
    public mutating func family(_ name: String, type: String, help: String) {
        append("# HELP ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        // HELP text escapes only backslash and newline.
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(byte)
            }
        }
        append("\n# TYPE ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(type)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample with an integer value.
    public mutating func sample(_ name: String, labels: KeyValuePairs<String, String> = [:], _ value: Int) {
        start(name, labels)
        integer(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample with a floating-point value.
    public mutating func sample(_ name: String, labels: KeyValuePairs<String, String> = [:], _ value: Double) {
        start(name, labels)
        float(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A family of one unlabelled sample (a single gauge or counter): its HELP, TYPE and value.
    public mutating func single(_ name: String, type: String, help: String, _ value: Int) {
        family(name, type: type, help: help)
        sample(name, value)
    }

    /// A family of one unlabelled floating-point sample.
    public mutating func single(_ name: String, type: String, help: String, _ value: Double) {
        family(name, type: type, help: help)
        sample(name, value)
    }

    /// One sample whose labels are built by the caller (ports and states, without a
    /// dictionary per sample).
    public mutating func sample(_ name: String, value: Int, labels: (inout LabelWriter) -> Void) {
        append(name)
        withLabels(labels)
        bytes.append(UInt8(ascii: " "))
        integer(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Lends the buffer to a `LabelWriter` and takes it back: the array moves both ways, so it
    /// stays uniquely referenced and every append is amortised O(1). (Returning a copy while
    /// the writer still held the array made each labelled sample copy the whole exposition.)
    private mutating func withLabels(_ labels: (inout LabelWriter) -> Void) {
        var writer = LabelWriter()
        swap(&writer.bytes, &bytes)
        labels(&writer)
        writer.close()
        swap(&writer.bytes, &bytes)
    }

    private mutating func start(_ name: String, _ labels: KeyValuePairs<String, String>) {
        append(name)
        if !labels.isEmpty {
            withLabels { writer in
                for (key, value) in labels { writer.label(key, value) }
            }
        }
        bytes.append(UInt8(ascii: " "))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A decimal integer.
    mutating func integer(_ value: Int) {
        DecimalDigits.append(value, to: &bytes)
    }

    /// A float as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, else Swift's shortest
    /// round-tripping form (`0.0125`, `1.764e+09` is not produced for whole numbers below 2⁵³).
    mutating func float(_ value: Double) {
        if value.isNaN {
            append("NaN")
        } else if value.isInfinite {
            append(value > 0 ? "+Inf" : "-Inf")
        } else if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            integer(Int(value))
        } else {
            append(value.description)
        }
    }

    /// Writes `{key="value",…}`; only label names the caller spells (never client input) go
    /// in unescaped, every value is escaped.
    public struct LabelWriter {
        fileprivate var bytes: [UInt8] = []
        private var first = true

        fileprivate init() {}

        /// A label with a text value.
        public mutating func label(_ key: String, _ value: String) {
            open(key)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }

        /// A label with a decimal value (a port).
        public mutating func label(_ key: String, _ value: Int) {
            open(key)
            DecimalDigits.append(value, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }

        private mutating func open(_ key: String) {
            bytes.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            bytes.append(contentsOf: key.utf8)
            bytes.append(contentsOf: "=\"".utf8)
        }

        /// Closes the label set, if any label was written.
        fileprivate mutating func close() {
            if !first { bytes.append(UInt8(ascii: "}")) }
        }
    }
}
