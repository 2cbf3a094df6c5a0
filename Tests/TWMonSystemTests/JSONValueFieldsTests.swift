import Testing
import TWMonCore
import TWMonTestSupport

@Suite("JSON members read by the tests")
struct JSONValueFieldsTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    @Test func typedFieldsNameWhatIsWrong() throws {
        let value = try parse(#"{"n":1,"s":"x","f":1.5,"z":null}"#)
        #expect(try value.int("n") == 1)
        #expect(try value.double("n") == 1)
        #expect(try value.double("f") == 1.5)
        #expect(value.optionalField("z") == nil)
        #expect(throws: JSONFieldError(field: "s", expected: "an integer")) { try value.int("s") }
        #expect(throws: JSONFieldError(field: "z", expected: "a value")) { try value.string("z") }
        #expect(throws: JSONFieldError(field: "m", expected: "a value")) { try value.array("m") }
    }
}
