#!/bin/sh
# fuzz.sh [SECONDS] [TARGET...]: runs the libFuzzer harnesses (idx,
# checkpoint, cli, safetensors, decode, classes by default) for SECONDS each (default 60), with clang's
# AddressSanitizer and UndefinedBehaviorSanitizer, starting from the
# committed corpus in tests/fuzz/corpus/TARGET; what they find new goes to
# build-fuzz/corpus-TARGET (copy interesting inputs into the committed
# corpus: the test suite replays it). Installs clang if missing.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-idx checkpoint cli safetensors decode classes}
sh scripts/deps.sh clang libclang-rt-14-dev
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGAN_FUZZ=ON -DGAN_TESTS=OFF >/dev/null
for t in $targets; do
    cmake --build build-fuzz -j2 --target "fuzz_$t" >/dev/null
done
status=0
for t in $targets; do
    mkdir -p "build-fuzz/corpus-$t" "build-fuzz/crashes-$t"
    cp tests/fuzz/corpus/"$t"/* "build-fuzz/corpus-$t/"
    echo "== fuzz_$t for $secs s"
    if ! build-fuzz/"fuzz_$t" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/crashes-$t/" "build-fuzz/corpus-$t" >"build-fuzz/fuzz_$t.log" 2>&1; then
        status=1
        echo "fuzz_$t FOUND A PROBLEM: see build-fuzz/fuzz_$t.log and build-fuzz/crashes-$t/"
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "build-fuzz/fuzz_$t.log" || true
done
exit $status
