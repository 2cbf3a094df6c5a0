import Glibc

/// A failed system call: which call, on what, and the errno it returned.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call, e.g. `open`.
    public var call: String
    /// What it was applied to (a path, a socket), if anything.
    public var subject: String?
    /// The errno value.
    public var errno: Int32

    public init(call: String, subject: String? = nil, errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        if let subject { return "\(call) \(subject): \(reason)" }
        return "\(call): \(reason)"
    }
}

/// Runs a system call, retrying on EINTR, and throws `SystemCallError` when it returns -1.
@inline(__always)
func retryingSystemCall<Result: BinaryInteger>(
    _ call: String, subject: @autoclosure () -> String? = nil, _ body: () -> Result
) throws(SystemCallError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = errno
        if error == EINTR { continue }
        throw SystemCallError(call: call, subject: subject(), errno: error)
    }
}
