/// Reads the namespace's TCP socket counts from `/proc/net/sockstat` text
/// (`TCP: inuse 5 orphan 0 tw 3 alloc 6 mem 1`), O(1) figures the kernel keeps.
public enum SockstatParser {
    /// The `tw` value of the `TCP:` line, or nil when the line or the field is absent. A `tw`
    /// that is not a count from 0 to 2³¹−1 is an error (`source` names the file in it).
    public static func timeWait(in text: String, source: String = "sockstat") throws(KernelValueError) -> Int? {
        try tcpField("tw", in: text, source: source)
    }

    /// The value of field `name` (`inuse`, `tw`) of the `TCP:` line, or nil when the line or
    /// the field is absent; a value that is not a count from 0 to 2³¹−1 is an error.
    public static func tcpField(_ name: String, in text: String, source: String = "sockstat") throws(KernelValueError) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("TCP:") {
            let words = line.split(separator: " ")
            for index in words.indices.dropLast() where words[index] == name {
                return try KernelCount.parse(words[index + 1], source: "\(source): \(name)")
            }
        }
        return nil
    }
}
