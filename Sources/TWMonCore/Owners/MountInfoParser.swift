/// Reads `/proc/self/mountinfo` (proc(5)): where the cgroup v2 hierarchy is mounted. It is not
/// always `/sys/fs/cgroup`: a hybrid host mounts it at `/sys/fs/cgroup/unified`, and a container
/// may have it elsewhere.
public enum MountInfoParser {
    /// The mount point of the first `cgroup2` mount whose root is the hierarchy's root (`/`),
    /// else of the first `cgroup2` mount; nil when there is none. Octal escapes in the mount
    /// point (`\040` for a blank) are decoded. Lines that are not mountinfo lines are skipped.
    public static func cgroup2MountPoint(in text: String) -> String? {
        var fallback: String?
        for line in text.split(separator: "\n") {
            // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER_OPTIONS
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, let separator = fields.firstIndex(of: "-"), separator >= 6,
                  separator + 1 < fields.count, fields[separator + 1] == "cgroup2"
            else { continue }
            let mountPoint = unescape(fields[4])
            guard mountPoint.hasPrefix("/") else { continue }
            if fields[3] == "/" { return mountPoint }
            if fallback == nil { fallback = mountPoint }
        }
        return fallback
    }

    /// Decodes the kernel's `\ooo` escapes (blank, tab, newline, backslash).
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
               let value = octal(source[(index + 1)...(index + 3)])
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
