import TWMonCore

extension Configuration {
    /// The built-in defaults watching only the test's own network namespace: an engine run in
    /// the test process would otherwise read every namespace on the host, those of the suites
    /// running beside it included, and its scans would cost what they happen to hold.
    static var ownNamespaceOnly: Configuration {
        var configuration = Configuration()
        configuration.scan.namespaces = .own
        return configuration
    }
}
