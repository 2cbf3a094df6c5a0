import Glibc

/// The cgroup2 tree, which every test in this process shares: `OwnerWalkBudgetTests` fills it
/// with 20 011 directories, and while they exist any other twmond's owner walk (2 000
/// directories a scan) needs up to 11 scans to name a listener. Tests that expect an owner
/// within their first scans hold the tree shared; the budget test holds it alone. Suites run
/// in parallel, so without this the outcome of an owner test depended on which ran first.
enum CgroupTree {
    /// A held lock; `release()` once.
    final class Hold {
        fileprivate init() {}
        func release() { pthread_rwlock_unlock(CgroupTree.lock) }
    }

    private nonisolated(unsafe) static let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
        return lock
    }()

    /// Waits until no test holds the tree alone, then holds it shared.
    static func shared() -> Hold {
        pthread_rwlock_rdlock(lock)
        return Hold()
    }

    /// Waits until no other test holds the tree, then holds it alone.
    static func exclusive() -> Hold {
        pthread_rwlock_wrlock(lock)
        return Hold()
    }
}
