#!/bin/sh
# test.sh: installs what is missing, then builds and runs the whole test
# suite twice with CTest: a Release build with warnings as errors (build/),
# and an AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh gnuplot-nox # the loss plot's test
jobs=$(nproc 2>/dev/null || echo 2)

echo "== Release, -Werror =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_WERROR=ON
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGAN_WERROR=ON -DGAN_SANITIZE=ON
cmake --build build-asan -j"$jobs"
(cd build-asan &&
    ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure -j"$jobs")
