#!/bin/sh
# bench.sh [--quick]: how fast gan-train trains, against the GEMM floor and
# against PyTorch, in one run on this machine.
#
# Full (default): Fashion-MNIST, 60,000 images, from Debian's
# dataset-fashion-mnist (installed if missing). For 1 and 2 threads,
# gan-bench measures, in interleaved rounds, the GEMM floor (the cblas_sgemm
# calls of a training step replayed alone, scaled to an epoch) and real
# epochs (medians of 5 rounds; epoch/floor is the median of each round's
# ratio); gan-train then trains one epoch for its peak memory.
# Where Debian's python3-torch is installed, the seed's model in PyTorch
# with the data preloaded (1 thread, its best setting) is timed too.
# --quick: the embedded 8,000 MNIST digits and shorter PyTorch timing; fits
# in a minute. Times are seconds per epoch of the data set used.
set -eu
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
if [ $quick -eq 1 ]; then
    sh scripts/deps.sh
    data=data/mnist
    rounds=3
    torch_args="--steps 100"
else
    sh scripts/deps.sh dataset-fashion-mnist
    data=/usr/share/datasets/fashion-mnist
    rounds=5
    torch_args="--epochs 3"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target gan-train gan-bench >/dev/null
tmp=$(mktemp -d /tmp/gan-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

val() { sed -n "s/^$1=//p" "$2"; }

echo "data: $data ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
for t in 1 2; do
    build/gan-bench --data "$data" --threads "$t" --epochs "$rounds" >"$tmp/bench$t"
done
build/gan-train --data "$data" --epochs 1 --out "$tmp/run" 2>"$tmp/train.err" >/dev/null
rss=$(sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p' "$tmp/train.err")
images=$(val images "$tmp/bench1")

torch_s=""
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    /usr/bin/python3 scripts/bench-torch.py --data "$data" $torch_args --threads 1 >"$tmp/torch"
    torch_s=$(val torch_epoch_s "$tmp/torch")
else
    echo "(PyTorch not installed: apt-get install python3-torch to compare)"
fi

printf '\n| threads | seconds/epoch | samples/s | GEMM floor s | epoch/floor | vs PyTorch |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for t in 1 2; do
    e=$(val epoch_s "$tmp/bench$t")
    vs="-"
    [ -n "$torch_s" ] && vs=$(awk -v a="$torch_s" -v b="$e" 'BEGIN { printf "%.2fx faster", a / b }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$e" "$(val samples_per_s "$tmp/bench$t")" \
        "$(val floor_epoch_s "$tmp/bench$t")" "$(val epoch_over_floor "$tmp/bench$t")" "$vs"
done
echo
[ -n "$torch_s" ] && echo "PyTorch $(val torch_version "$tmp/torch"), data preloaded, 1 thread: $torch_s s/epoch"
echo "OpenBLAS's own 2 threads on the same 22 products: $(val openblas_threads_floor_epoch_s "$tmp/bench2") s/epoch"
echo "GEMM work: $(val gflop_per_step "$tmp/bench1") GFLOP a step in $(val sgemm_calls_per_step "$tmp/bench1") products, $(val steps_per_epoch "$tmp/bench1") steps an epoch; floor at $(val floor_gflops "$tmp/bench2") GFLOP/s on 2 threads"
echo "peak memory (gan-train, one epoch on $images images): $rss MB"
