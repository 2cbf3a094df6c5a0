import Testing
@testable import TWMonCore

@Suite("Varlink framing")
struct VarlinkFramerTests {
    private func drain(_ framer: inout VarlinkFramer) throws -> [String] {
        var messages: [String] = []
        while let message = try framer.nextMessage() { messages.append(String(decoding: message, as: UTF8.self)) }
        return messages
    }

    @Test func splitsOneChunkIntoMessages() throws {
        var framer = VarlinkFramer()
        framer.append(Array("{\"a\":1}\0{\"b\":2}\0{\"c\"".utf8))
        #expect(try drain(&framer) == ["{\"a\":1}", "{\"b\":2}"])
        #expect(framer.bufferedByteCount == 4)
        framer.append(Array(":3}\0".utf8))
        #expect(try drain(&framer) == ["{\"c\":3}"])
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func reassemblesAMessageSentByteByByte() throws {
        var framer = VarlinkFramer()
        var messages: [String] = []
        for byte in Array("{\"method\":\"x\"}\0\0".utf8) {
            framer.append([byte])
            messages += try drain(&framer)
        }
        #expect(messages == ["{\"method\":\"x\"}", ""])
    }

    @Test func acceptsAMessageOfExactlyTheLimit() throws {
        var framer = VarlinkFramer(maximumMessageSize: 16)
        framer.append([UInt8](repeating: 0x41, count: 16))
        #expect(try framer.nextMessage() == nil)
        framer.append([0])
        #expect(try framer.nextMessage()?.count == 16)
    }

    @Test func rejectsALongerMessageBeforeItsNULArrives() throws {
        var framer = VarlinkFramer(maximumMessageSize: 16)
        framer.append([UInt8](repeating: 0x41, count: 17))
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 16)) { try framer.nextMessage() }
    }

    @Test func rejectsALongerMessageArrivingWithItsNUL() throws {
        var framer = VarlinkFramer(maximumMessageSize: 16)
        framer.append([UInt8](repeating: 0x41, count: 17) + [0])
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 16)) { try framer.nextMessage() }
    }

    @Test func defaultLimitIs64KiB() throws {
        var framer = VarlinkFramer()
        framer.append([UInt8](repeating: 0x20, count: 70 * 1024))
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 65_536)) { try framer.nextMessage() }
    }

    @Test func manySmallMessagesKeepTheBufferSmall() throws {
        var framer = VarlinkFramer(maximumMessageSize: 64)
        var count = 0
        for index in 0..<10_000 {
            framer.append(Array("\(index)\0".utf8))
            while let message = try framer.nextMessage() {
                #expect(String(decoding: message, as: UTF8.self) == "\(count)")
                count += 1
            }
            #expect(framer.bufferedByteCount == 0)
        }
        #expect(count == 10_000)
    }
}
