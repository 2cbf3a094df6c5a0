import Testing
@testable import TWMonCore

@Suite("Address text")
struct IPAddressTests {
    static let zeros: [UInt8] = Array(repeating: 0, count: 16)
    static let cases: [([UInt8], String)] = [
        ([127, 0, 0, 1], "127.0.0.1"),
        (Array(zeros.prefix(15)) + [1], "::1"),
        (zeros, "::"),
        ([0x20, 0x01, 0x0d, 0xb8] + Array(zeros.prefix(11)) + [7], "2001:db8::7"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:1:0:1:1:1:1"),
        (Array(zeros.prefix(10)) + [0xff, 0xff, 10, 0, 0, 7], "::ffff:10.0.0.7"),
    ]

    @Test(arguments: cases)
    func rendersAsRFC5952(_ bytes: [UInt8], _ expected: String) throws {
        #expect(try #require(IPAddress(bytes)).description == expected)
    }

    @Test func unmapsIPv4MappedAddresses() throws {
        let mapped = try #require(IPAddress([UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 0, 0, 7]))
        #expect(mapped.unmapped == IPAddress([10, 0, 0, 7]))
        #expect(IPAddress([10, 0, 0, 7])!.unmapped == IPAddress([10, 0, 0, 7]))
    }

    @Test func stateNamesRoundTrip() {
        for state in TCPState.allCases { #expect(TCPState(name: state.name) == state) }
        #expect(TCPState(name: "TIMEWAIT") == nil)
    }

    /// The protocol name is exact (as the Varlink interface documents it); only what an
    /// operator types on the command line is folded.
    @Test(arguments: [("TIME_WAIT", true), ("time_wait", false), ("Time_Wait", false), ("time-wait", false), ("TIME_WAIT ", false)])
    func stateNamesAreExact(name: String, known: Bool) {
        #expect((TCPState(name: name) == .timeWait) == known)
        #expect(TCPState(typedName: name.trimmingSuffix()) == .timeWait)
    }
}

private extension String {
    func trimmingSuffix() -> String { last == " " ? String(dropLast()) : self }
}
