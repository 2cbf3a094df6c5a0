import Testing
import TWMonCore

/// The metrics endpoint's request targets (RFC 9112 §3.2): origin and absolute form.
struct HTTPRequestTargetTests {
    @Test(arguments: [
        ("/metrics", "/metrics"), ("/metrics?name[]=x", "/metrics"), ("/", "/"), ("/metrics/", "/metrics/"),
        ("http://127.0.0.1:19632/metrics", "/metrics"), ("HTTP://[::1]:19632/metrics?x=1", "/metrics"),
        ("https://web1.example.net/metrics", "/metrics"), ("http://127.0.0.1:19632", "/"), ("http://h?x", "/"),
        ("http://h/other", "/other"),
    ])
    func pathOf(_ target: String, _ path: String) {
        #expect(HTTPRequestTarget.path(of: target) == Substring(path))
    }

    @Test(arguments: ["*", "127.0.0.1:19632", "metrics", "", "http://", "http:///metrics", "ftp://h/metrics",
                      "http://user@h/metrics", "http:/metrics", "?x"])
    func notATarget(_ target: String) {
        #expect(HTTPRequestTarget.path(of: target) == nil)
    }
}
