/// Splits a Varlink byte stream into messages: each message is terminated by a NUL byte.
///
/// Bytes are appended as they arrive; `nextMessage()` hands out complete messages. A message
/// longer than `maximumMessageSize` is an error as soon as that many bytes arrived without a
/// NUL, so the buffer never holds more than the limit plus one chunk. Each byte is scanned once,
/// however the stream is cut into chunks.
public struct VarlinkFramer: Sendable {
    /// The largest message twmon accepts: 64 KiB, far above any request it serves.
    public static let defaultMaximumMessageSize = 64 * 1024

    /// The largest message accepted, without its NUL.
    public let maximumMessageSize: Int
    private var buffer: [UInt8] = []
    /// Where the current message starts in `buffer`.
    private var start = 0
    /// Bytes from `start` up to here are known to hold no NUL.
    private var scanned = 0

    public init(maximumMessageSize: Int = VarlinkFramer.defaultMaximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// Bytes received but not yet handed out as messages.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            // Compact once the consumed prefix is at least half the buffer: amortised O(1).
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message without its NUL, or nil until one has arrived.
    public mutating func nextMessage() throws(VarlinkFramingError) -> ArraySlice<UInt8>? {
        if let end = buffer[scanned...].firstIndex(of: 0) {
            guard end - start <= maximumMessageSize else {
                throw VarlinkFramingError.messageTooLarge(limit: maximumMessageSize)
            }
            let message = buffer[start..<end]
            start = end + 1
            scanned = start
            return message
        }
        scanned = buffer.count
        guard buffer.count - start <= maximumMessageSize else {
            throw VarlinkFramingError.messageTooLarge(limit: maximumMessageSize)
        }
        return nil
    }
}

/// The byte stream cannot be split into Varlink messages.
public enum VarlinkFramingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// More than `limit` bytes arrived without a terminating NUL.
    case messageTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .messageTooLarge(let limit): "message longer than \(limit) bytes without a NUL terminator"
        }
    }
}
