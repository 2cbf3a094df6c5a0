import Testing
import TWMonCore

/// The bookkeeping of a cgroup walk that spans scans: what is mapped, pending and gone.
@Suite("Cgroup owner map across passes")
struct CgroupOwnerMapTests {
    static func owner(_ path: String) -> CgroupOwnerMap.Lookup { .owner(CgroupOwnerParser.owner(cgroupPath: path)) }

    @Test func anIdIsUnmappedUntilThePassInProgressReachesIt() {
        var map = CgroupOwnerMap()
        #expect(map.lookup(7) == .unmapped)
        map.startPass()
        map.found(1, at: "/")
        #expect(map.lookup(7) == .unmapped)
        map.found(7, at: "/system.slice/nginx.service")
        // Mapped at once, before the pass finishes.
        #expect(map.lookup(7) == Self.owner("/system.slice/nginx.service"))
        #expect(map.passInProgress)
        map.finishPass()
        #expect(!map.passInProgress)
        #expect(map.lookup(7) == Self.owner("/system.slice/nginx.service"))
        #expect(map.mappedCount == 2)
    }

    @Test func idsOfTheLastPassKeepTheirOwnersWhileTheNextOneRuns() {
        var map = CgroupOwnerMap()
        map.startPass()
        map.found(7, at: "/a.service")
        map.found(8, at: "/b.service")
        map.found(9, at: "/c.service")
        map.finishPass()
        #expect(map.lookup(7) == Self.owner("/a.service"))
        #expect(map.lookup(8) == Self.owner("/b.service"))
        map.startPass()
        #expect(map.lookup(7) == Self.owner("/a.service"))
        #expect(map.lookup(9) == Self.owner("/c.service"))
        // 8 was renamed (kernfs keeps the id), 9 removed.
        map.found(7, at: "/a.service")
        map.found(8, at: "/renamed.service")
        map.finishPass()
        #expect(map.lookup(8) == Self.owner("/renamed.service"))
        #expect(map.lookup(9) == .unmapped)
    }

    @Test func anIdAPassWasStartedForAndDidNotFindIsMissingWhileAsked() {
        var map = CgroupOwnerMap()
        #expect(map.lookup(5) == .unmapped)
        map.startPass()
        map.found(1, at: "/")
        map.finishPass()
        #expect(map.lookup(5) == .missing)
        // Still missing after passes started for other ids, as long as it is asked for...
        #expect(map.lookup(6) == .unmapped)
        map.startPass()
        #expect(map.lookup(5) == .missing)
        map.finishPass()
        #expect(map.lookup(6) == .missing)
        // ...and forgotten once a pass finishes without anybody having asked for it since the
        // pass before.
        map.startPass()
        #expect(map.lookup(6) == .missing)
        map.finishPass()
        #expect(map.lookup(5) == .unmapped)
        #expect(map.lookup(6) == .missing)
    }

    @Test func anIdFirstAskedDuringAPassWaitsForTheNextPassBeforeItIsMissing() {
        var map = CgroupOwnerMap()
        #expect(map.lookup(5) == .unmapped)
        map.startPass()
        // Its cgroup may have been made where this pass had already been.
        #expect(map.lookup(6) == .unmapped)
        map.finishPass()
        #expect(map.lookup(5) == .missing)
        #expect(map.lookup(6) == .unmapped)
        map.startPass()
        map.found(6, at: "/late.service")
        map.finishPass()
        #expect(map.lookup(6) == Self.owner("/late.service"))
    }
}
