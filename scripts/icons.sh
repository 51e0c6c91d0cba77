#!/bin/sh
# icons.sh [EPOCHS] [ROUNDS]: the README's example of your own images, with
# real ones from a Debian package: the 48 x 48 PNG icons of the Oxygen icon
# theme (package oxygen-icon-theme, LGPL-3+, installed if missing), one class
# folder per category (actions, apps, devices, mimetypes, places, ...).
#   1. import speed: `gan-train import` of the 48 x 48 icons and of the
#      256 x 256 ones into 32 x 32 colour, ROUNDS times (default 5), the
#      median images/s;
#   2. epoch time of the 32 x 32 colour model against the 28 x 28 grey one on
#      as many images (the icons' training split, and as many MNIST digits:
#      --limit), 2 threads, 10 epochs a run, interleaved ROUNDS times, the
#      median seconds per epoch and their ratio;
#   3. the example: the icons imported at 32 x 32 in colour into
#      runs/icons-data and trained EPOCHS epochs (default 300) into
#      runs/icons (an 8 x 8 grid, pixels drawn 2 x 2).
# Prints the CPU and the OpenBLAS kernel beside the figures.
set -eu
cd "$(dirname "$0")/.."
epochs=${1:-300}
rounds=${2:-5}
sh scripts/deps.sh oxygen-icon-theme
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target gan-train >/dev/null
B=build/gan-train
ICONS=/usr/share/icons/oxygen/base
tmp=$(mktemp -d /tmp/gan-icons-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.4g", m }'; }
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "blas:   $($B --version | sed -n 's/.*kernel //p' | head -n 1)"

# 1. import speed
for size in 48x48 256x256; do
    i=0
    while [ $i -lt "$rounds" ]; do
        $B import "$ICONS/$size" --out "$tmp/imp" --size 32x32 --channels 3 --force 2>"$tmp/imp.err"
        sed -n 's/^import: *\([0-9]*\) images.* (\([0-9]*\) images\/s)$/\2/p' "$tmp/imp.err" >>"$tmp/speed-$size"
        n=$(sed -n 's/^import: *\([0-9]*\) images.*/\1/p' "$tmp/imp.err")
        i=$((i + 1))
    done
    echo "import: $n PNGs of $size into 32 x 32 colour: $(median "$tmp/speed-$size") images/s (median of $rounds)"
done

# 2. epoch time, colour 32 x 32 against grey 28 x 28, as many images
$B import "$ICONS/48x48" --out "$tmp/icons" --size 32x32 --channels 3 --quiet
count=$(gzip -dc "$tmp/icons/train-images-idx4-ubyte.gz" | head -c 8 | tail -c 4 | od -An -tu1 |
    awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
epoch_s() { awk -F, 'NR > 1 { s += $7; n++ } END { printf "%.4f\n", s / n }' "$1"; }
i=0
while [ $i -lt "$rounds" ]; do
    $B --data "$tmp/icons" --epochs 10 --threads 2 --eval-every 0 --quiet --force --out "$tmp/c"
    epoch_s "$tmp/c/losses.csv" >>"$tmp/colour"
    $B --data data/mnist --limit "$count" --epochs 10 --threads 2 --eval-every 0 --quiet --force --out "$tmp/g"
    epoch_s "$tmp/g/losses.csv" >>"$tmp/grey"
    i=$((i + 1))
done
c=$(median "$tmp/colour")
g=$(median "$tmp/grey")
echo "epoch:  $count images, default recipe, 2 threads: 32 x 32 colour (3,072 values) $c s," \
    "28 x 28 grey (784) $g s: $(awk -v c="$c" -v g="$g" 'BEGIN { printf "%.2f", c / g }') x (median of $rounds)"

# 3. the example
mkdir -p runs
$B import "$ICONS/48x48" --out runs/icons-data --size 32x32 --channels 3 --force --quiet
$B --data runs/icons-data --epochs "$epochs" --out runs/icons --force --grid 8 --png-scale 2 \
    --eval-every 50 2>"$tmp/run.err"
grep -E "^(data|eval|summary|done):" "$tmp/run.err"
echo "grid:   runs/icons/samples/epoch-$(printf %03d "$epochs").png; timeline runs/icons/progress.png"
