import TWMonTestSupport

extension ScratchNamespace {
    /// The load several suites check the scan against: on 127.0.0.1:8080, 300 TIME_WAIT the
    /// server closed first, 4 ESTABLISHED, 3 CLOSE_WAIT and 5 client-side TIME_WAIT; on a
    /// dual-stack listener at port 9000, 80 TIME_WAIT and 3 ESTABLISHED from IPv4 clients
    /// (IPv4-mapped rows in tcp6).
    func startMixedLoad() throws {
        try startLoad([TestEnvironment.loadgen, "--listen", "127.0.0.1", "--port", "8080", "--time-wait", "300",
                       "--established", "4", "--close-wait", "3", "--client-time-wait", "5"])
        try startLoad([TestEnvironment.loadgen, "--listen", "::", "--port", "9000", "--connect", "127.0.0.1",
                       "--time-wait", "80", "--established", "3"])
    }
}
