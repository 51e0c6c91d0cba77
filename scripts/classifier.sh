#!/bin/sh
# classifier.sh [KERNEL...]: the evaluation's CNN classifier on this machine
# (issue 17, item 2): for each data set (data/mnist, and Fashion-MNIST where
# /usr/share/datasets/fashion-mnist holds it) and each OpenBLAS kernel named
# (default: the one gan-train picks; name others, for example Haswell
# SkylakeX Zen, to see the spread that their rounding gives), it trains the
# classifier from scratch in an empty cache (2 threads) and prints its
# accuracy on the test split and its training time; then, with it cached,
# the cost of one `gan-train eval` of 10,000 samples (2 threads, and 1).
# Prints the CPU beside the figures. Each training takes 1-2 minutes.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target gan-train >/dev/null
tmp=$(mktemp -d /tmp/gan-classifier-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
B=build/gan-train
sets="data/mnist"
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] &&
    sets="$sets /usr/share/datasets/fashion-mnist"
echo "cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs; $($B --version | sed -n 2p)"
echo
echo "| data | kernel | accuracy | training (s) |"
echo "| --- | --- | --- | --- |"
for d in $sets; do
    for k in ${*:-own}; do
        rm -rf "$tmp/cache"
        if [ "$k" = own ]; then
            kname=$($B --version | sed -n 's/.*kernel \([A-Za-z0-9]*\).*/\1/p' | head -n 1)
            $B eval --samples "$d/t10k-images-idx3-ubyte.gz" --data "$d" --count 100 --threads 2 \
                --cache "$tmp/cache" --csv >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
        else
            kname=$k
            OPENBLAS_CORETYPE=$k $B eval --samples "$d/t10k-images-idx3-ubyte.gz" --data "$d" \
                --count 100 --threads 2 --cache "$tmp/cache" --csv >"$tmp/out" 2>"$tmp/err" ||
                { cat "$tmp/err" >&2; exit 1; }
        fi
        acc=$(sed -n 2p "$tmp/out" | awk -F, '{ printf "%.2f%%", 100 * $10 }')
        secs=$(sed -n 's/^eval:     classifier trained in \([0-9.]*\) s.*/\1/p' "$tmp/err")
        echo "| $(basename "$d") | $kname | $acc | $secs |"
    done
done
echo
# evaluation cost with the classifier cached: 10,000 samples (the real test
# images, as a sample file), each against 10,000 reference and 10,000 floor
# images, as `gan-train eval` judges a checkpoint or a sample file
ev() { $B eval --samples data/mnist/t10k-images-idx3-ubyte.gz --data data/mnist --threads "$1" \
    --cache "$tmp/cache0" >/dev/null 2>&1; }
ev 2 # trains the MNIST classifier (untimed)
for t in 2 1; do
    start=$(date +%s.%N)
    ev $t
    end=$(date +%s.%N)
    echo "gan-train eval, 10,000 samples, $t thread(s): $(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }') s"
done
