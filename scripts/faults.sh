#!/bin/sh
# faults.sh [N] [DATA]: what the evaluation notices. gan-faults takes the
# first N (default 10,000) training images of DATA (default data/mnist) and
# makes sets with known faults: the clean images, salt-and-pepper speckle on
# 1%, 3% and 10% of the pixels, a 3 x 3 blur, a 3-pixel shift to the right,
# only the digits 0-4, only the digit 1; each is judged by `gan-train eval
# --samples` against DATA's test split, and a Markdown table printed: FID,
# FID over the clean set's, classes, precision, recall (issue 17, item 4).
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
data=${2:-data/mnist}
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target gan-train gan-faults >/dev/null
tmp=$(mktemp -d /tmp/gan-faults-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
build/gan-faults "$data" "$tmp" "$n"
echo "cpu:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(build/gan-train --version | sed -n 's/^OpenBLAS/OpenBLAS/p' | head -n 1)"
echo
echo "| set | FID | × clean | classes | precision | recall |"
echo "| --- | --- | --- | --- | --- | --- |"
clean=""
for s in clean speckle1 speckle3 speckle10 blur shift low one; do
    build/gan-train eval --samples "$tmp/$s.idx" --data "$data" --csv >"$tmp/$s.csv" 2>"$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    row=$(sed -n 2p "$tmp/$s.csv")
    fid=$(echo "$row" | cut -d, -f3)
    [ -n "$clean" ] || clean=$fid
    echo "$row" | awk -F, -v s="$s" -v c="$clean" \
        '{ printf "| %s | %.2f | %.1f | %d | %.3f | %.3f |\n", s, $3, $3 / c, $5, $8, $9 }'
done
echo
sed -n 2p "$tmp/clean.csv" | awk -F, '{ printf "%d images a set; FID floor %.2f; classifier accuracy %.2f%%\n", $2, $4, 100 * $10 }'
