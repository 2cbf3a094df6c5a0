#!/bin/bash
# Builds twmon's libFuzzer executable (-sanitize=fuzzer,address) into .build-fuzz and runs each
# target for a bounded time from its committed seed corpus (Tests/Fuzz/corpus/TARGET). Fails on a
# crash, a trap, a leak, an allocation over FUZZ_MALLOC_MB or memory over FUZZ_RSS_MB; the input
# that did it is left in .build-fuzz/artifacts/TARGET/ (turn it into a regression test).
#
#   Tests/Fuzz/run.sh [TARGET...]        targets: proc-rows varlink config (default: all three)
#   FUZZ_SECONDS=60 FUZZ_JOBS=3          seconds per target; targets run in parallel, FUZZ_JOBS at a time
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-3}
RSS_MB=${FUZZ_RSS_MB:-2048}
MALLOC_MB=${FUZZ_MALLOC_MB:-256}
SCRATCH=.build-fuzz
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(proc-rows varlink config)

# gold cannot link the instrumented objects (it fails formatting a DWARF location); the
# toolchain's lld can.
swift_bin=$(dirname "$(readlink -f "$(command -v swift)")")
mkdir -p "$SCRATCH"
printf '{"schemaVersion": "1.0", "linker": {"path": "%s/ld.lld"}}\n' "$swift_bin" > "$SCRATCH/toolset.json"
echo "building twmon-fuzz (-sanitize=fuzzer,address) ..."
TWMON_FUZZ=1 swift build --scratch-path "$SCRATCH" -c release --product twmon-fuzz \
    --toolset "$SCRATCH/toolset.json" -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "Cannot export local symbol" || true
binary="$SCRATCH/release/twmon-fuzz"
[ -x "$binary" ] || { echo "fuzz: build failed" >&2; exit 1; }

run_target() {
    local target=$1 work="$SCRATCH/corpus/$1" artifacts="$SCRATCH/artifacts/$1/"
    mkdir -p "$work" "$artifacts"
    local limits=(-rss_limit_mb="$RSS_MB" -malloc_limit_mb="$MALLOC_MB" -max_len=65536 -timeout=10 -artifact_prefix="$artifacts")
    export TWMON_FUZZ_TARGET=$target LSAN_OPTIONS=suppressions=Tests/Fuzz/lsan.supp
    # Fuzz without a leak check per input (the known TOML library leak would trigger one on
    # nearly every configuration and slow the run a hundredfold); new inputs go to the scratch
    # corpus, the committed seeds are only read.
    "$binary" "$work" "Tests/Fuzz/corpus/$target" -max_total_time="$SECONDS_PER_TARGET" -detect_leaks=0 \
        -print_final_stats=1 "${limits[@]}" > "$SCRATCH/$target.log" 2>&1 || return 1
    # Then every input of the corpus once more, with LeakSanitizer.
    "$binary" -runs=0 -detect_leaks=1 "${limits[@]}" "$work" "Tests/Fuzz/corpus/$target" > "$SCRATCH/$target-leaks.log" 2>&1 || {
        cat "$SCRATCH/$target-leaks.log" >> "$SCRATCH/$target.log"
        return 1
    }
}

failed=()
pids=()
for target in "${TARGETS[@]}"; do
    [ -d "Tests/Fuzz/corpus/$target" ] || { echo "fuzz: unknown target $target" >&2; exit 2; }
    run_target "$target" &
    pids+=("$!:$target")
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 0.5; done
done
for entry in "${pids[@]}"; do
    pid=${entry%%:*} target=${entry#*:}
    if wait "$pid"; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$SCRATCH/$target.log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz $target: ok, $runs inputs in ${SECONDS_PER_TARGET} s"
    else
        echo "fuzz $target: FAILED (log: $SCRATCH/$target.log, input: $SCRATCH/artifacts/$target/)" >&2
        grep -E "ERROR|SUMMARY|Fatal error|panic|==[0-9]+==" "$SCRATCH/$target.log" | head -20 >&2 || true
        failed+=("$target")
    fi
done
[ ${#failed[@]} -eq 0 ] || exit 1
