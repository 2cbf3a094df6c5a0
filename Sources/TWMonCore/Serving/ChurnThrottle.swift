/// A token bucket for connection churn on a served socket: every refused or evicted
/// connection takes a token, and while none is left the server stops accepting until one is
/// back. A client looping connect–close therefore costs the daemon at most `ratePerSecond`
/// accepts a second (plus a `burst`), and a well-behaved client queued behind it in the
/// listen backlog waits at most about backlog ÷ rate.
public struct ChurnThrottle: Sendable, Equatable {
    /// Tokens added per second.
    public let ratePerSecond: Double
    /// Tokens the bucket holds at most.
    public let burst: Double
    private var tokens: Double
    private var updated: Double?

    public init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = max(1, ratePerSecond)
        self.burst = max(1, burst)
        tokens = self.burst
    }

    /// Takes one token at monotonic time `now` (the balance may go below zero: a refusal
    /// already happened and must be paid for).
    public mutating func charge(now: Double) {
        refill(now: now)
        tokens -= 1
    }

    /// Seconds to wait at `now` before accepting more connections: zero while a token is left.
    public mutating func delay(now: Double) -> Double {
        refill(now: now)
        return tokens >= 1 ? 0 : (1 - tokens) / ratePerSecond
    }

    private mutating func refill(now: Double) {
        if let updated, now > updated {
            tokens = min(burst, tokens + (now - updated) * ratePerSecond)
        }
        if updated == nil || now > updated! { updated = now }
    }
}
