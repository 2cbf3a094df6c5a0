import Testing
@testable import TWMonCore

/// The one `Double` → text formatter, spelling by spelling as its callers printed before.
struct DecimalTextTests {
    @Test(arguments: [
        (5.0, "5", "5.0"), (0.1, "0.1", "0.1"), (-2.0, "-2", "-2.0"), (1.0 / 3.0, "0.3333333333333333", "0.3333333333333333"),
        (1e15, "1000000000000000.0", "1000000000000000.0"), (1e20, "1e+20", "1e+20"), (999_999_999_999_999.0, "999999999999999", "999999999999999.0"), (.infinity, "inf", "inf"),
    ] as [(Double, String, String)])
    func shortest(value: Double, integer: String, pointZero: String) {
        #expect(DecimalText.shortest(value) == integer)
        #expect(DecimalText.shortest(value, whole: .pointZero) == pointZero)
    }

    @Test(arguments: [
        (0.8, 2, "0.80"), (0.05, 2, "0.05"), (12.34, 1, "12.3"), (9.96, 1, "10.0"), (41.25, 1, "41.3"), (0.0, 1, "0.0"),
        (123.5, 0, "124"), (-0.5, 2, "-0.50"), (-0.001, 2, "-0.00"), (7.0, 3, "7.000"),
    ] as [(Double, Int, String)])
    func fixed(value: Double, decimals: Int, text: String) {
        #expect(DecimalText.fixed(value, decimals: decimals) == text)
    }

    @Test func fixedRefusesWhatItCannotRound() {
        #expect(DecimalText.fixed(.nan, decimals: 1) == nil)
        #expect(DecimalText.fixed(1e30, decimals: 2) == nil)
    }

    @Test func callersKeepTheirSpelling() {
        #expect(RecentCloses.rateText(6.66) == "6.7")
        #expect(RecentCloses.rateText(99.5) == "100")
        #expect(RecentCloses.rateText(.nan) == "?")
        #expect(ScanReport.rateText(12.5) == "12.5")
        #expect(ScanReport.rateText(-1) == "0.0")
        #expect(MonitorStatus.seconds(5) == "5 s")
        #expect(MonitorStatus.seconds(0.5) == "0.5 s")
        #expect(MonitorStatus.milliseconds(41.26) == "41.3 ms")
        #expect(MetricsRenderer.boundText(0.001) == "0.001")
        #expect(MetricsRenderer.boundText(1) == "1.0")
    }
}
