/// Reads the namespace's TIME_WAIT total from `/proc/net/sockstat` text
/// (`TCP: inuse 5 orphan 0 tw 3 alloc 6 mem 1`), an O(1) figure the kernel keeps.
public enum SockstatParser {
    /// The `tw` value of the `TCP:` line, or nil when the line or the field is absent. A `tw`
    /// that is not a count from 0 to 2³¹−1 is an error (`source` names the file in it).
    public static func timeWait(in text: String, source: String = "sockstat") throws(KernelValueError) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("TCP:") {
            let words = line.split(separator: " ")
            for index in words.indices.dropLast() where words[index] == "tw" {
                return try KernelCount.parse(words[index + 1], source: "\(source): tw")
            }
        }
        return nil
    }
}
