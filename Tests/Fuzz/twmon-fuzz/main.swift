import Glibc

/// One libFuzzer executable for twmon's three input surfaces; `TWMON_FUZZ_TARGET` picks one
/// (`proc-rows`, `varlink`, `config`). Built with `-sanitize=fuzzer,address` by
/// Tests/Fuzz/run.sh; libFuzzer's own flags and corpus directories are its arguments.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The targets by name.
let targets: [String: (UnsafePointer<UInt8>, Int) -> CInt] = [
    "proc-rows": fuzzProcRows,
    "varlink": fuzzVarlink,
    "config": fuzzConfig,
]

guard let name = getenv("TWMON_FUZZ_TARGET").map({ String(cString: $0) }), let selected = targets[name] else {
    let usage = "set TWMON_FUZZ_TARGET to one of: \(targets.keys.sorted().joined(separator: ", "))\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
nonisolated(unsafe) let target = selected
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    // libFuzzer passes a null pointer for the empty input.
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { target(data ?? $0, size) }
})
