import Testing
import TOMLKit
@testable import TWMonCore

/// The constructs `TOMLSyntaxGuard` keeps from TOMLKit, fed to TOMLKit itself in a child
/// process: each expectation holds while the library still aborts, and fails once an update
/// fixes it (TOMLKit issue 30, toml++ pull request 301). Then drop that case from the guard
/// and from here.
struct TOMLSyntaxGuardTests {
    @Test("the guard refuses each construct", arguments: ["[[[testme]]\n", "[+x]\n", "x = [}\n", "x = [1, }]\n"])
    func guardRefuses(text: String) {
        #expect(TOMLSyntaxGuard.firstFatalConstruct(in: text) != nil)
    }

    /// Exit tests cannot capture values: each text is written out.
    @Test func tomlKitStillAbortsOnABadTableHeader() async {
        await #expect(processExitsWith: .failure) { _ = try? TOMLTable(string: "[[[testme]]\n") }
        await #expect(processExitsWith: .failure) { _ = try? TOMLTable(string: "[+x]\n") }
    }

    @Test func tomlKitStillAbortsOnABraceInsideAnArray() async {
        await #expect(processExitsWith: .failure) { _ = try? TOMLTable(string: "x = [}\n") }
        await #expect(processExitsWith: .failure) { _ = try? TOMLTable(string: "x = [1, }]\n") }
    }
}
