#!/bin/sh
# costs.sh [ROUNDS] [RECIPES]: what the parts of the default recipe cost on
# this machine, in interleaved rounds (median of ROUNDS, default 8, and the
# fastest round), each a run of gan-train on the first 19,200 digits of
# data/mnist for 2 epochs (3 for the evaluation), $THREADS threads (default
# 2; 2-thread epochs are bimodal on some VMs, 1 thread steadier), scaled to a
# 60,000-image epoch:
#   - seconds per epoch of each recipe of the README's tables, named as in
#     scripts/recipes.sh (seed; bce, gan-train 0.2's default; leaky-b1, it
#     without R1; r1-every1; wide; hinge; lsgan; wgan-gp; ema999; today's
#     default; wide-ema; wgan-preset), or of those named in RECIPES (say
#     "default wgan-preset"), and from them the cost of the R1 penalty and of
#     the width; and the conditional forms of scripts/conditional.sh, named
#     cond-FORM (cond-concat, cond-projection, ...; only when RECIPES names
#     them);
#   - the live status line: the default on a pseudo-terminal (script(1))
#     against the same run without one;
#   - the evaluation during training (--eval-count 2000): its seconds against
#     the epoch's.
# Prints the CPU and the OpenBLAS kernel beside the figures.
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-8}
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target gan-train >/dev/null
tmp=$(mktemp -d /tmp/gan-costs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
B=build/gan-train
threads=${THREADS:-2}
base0="--data data/mnist --limit 19200 --threads $threads --force"
base="$base0 --quiet"
# mean epoch seconds of a run's CSV, scaled to 60,000 images
epoch_s() { awk -F, 'NR > 1 { s += $7; n++ } END { printf "%.3f\n", s / n * 60000 / 19200 }' "$1"; }
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
fastest() { sort -n "$1" | awk 'NR == 1 { printf "%.2f", $1 }'; }
# the names of scripts/recipes.sh, spelled out against today's default
recipes="seed:--preset_seed bce:--loss_bce_--ema_0 leaky-b1:--loss_bce_--ema_0_--r1_0
r1-every1:--loss_bce_--ema_0_--r1-every_1 wide:--loss_bce_--ema_0_--hidden_512
hinge:--loss_hinge_--ema_0 lsgan:--loss_lsgan_--ema_0 wgan-gp:--loss_wgan-gp_--ema_0 ema999:--loss_bce_--ema_0.999
default: wide-ema:--loss_bce_--hidden_512_--ema_0.999 wgan-preset:--preset_wgan-gp"
cond="cond-concat:--conditional cond-projection:--conditional_--cond-d_projection
cond-acgan:--conditional_--cond-d_acgan cond-concat-acgan:--conditional_--cond-d_concat+acgan
cond-all-concat:--conditional_--cond-g_all cond-all-concat-acgan:--conditional_--cond-g_all_--cond-d_concat+acgan
cond-all-projection:--conditional_--cond-g_all_--cond-d_projection
cond-projection-acgan:--conditional_--cond-d_projection+acgan"
if [ -n "${2:-}" ]; then
    pick=""
    for r in $recipes $cond; do
        case " $2 " in *" ${r%%:*} "*) pick="$pick $r" ;; esac
    done
    recipes=$pick
fi
i=0
while [ $i -lt "$rounds" ]; do
    for r in $recipes; do
        name=${r%%:*}
        # shellcheck disable=SC2046,SC2086
        $B $base --epochs 2 --eval-every 0 --out "$tmp/run" $(echo "${r#*:}" | tr _ ' ')
        epoch_s "$tmp/run/losses.csv" >>"$tmp/$name"
    done
    if command -v script >/dev/null 2>&1; then
        # not --quiet: the status line is drawn on the terminal, and not without one
        script -qec "$B $base0 --epochs 2 --eval-every 0 --out $tmp/tty" /dev/null >/dev/null
        epoch_s "$tmp/tty/losses.csv" >>"$tmp/tty-on"
        $B $base0 --epochs 2 --eval-every 0 --out "$tmp/notty" 2>/dev/null
        epoch_s "$tmp/notty/losses.csv" >>"$tmp/tty-off"
    fi
    i=$((i + 1))
done
# the evaluation: one run with it on, its seconds against the epochs'
$B --data data/mnist --limit 19200 --threads 2 --force --epochs 3 --eval-count 2000 \
    --out "$tmp/ev" 2>"$tmp/ev.err"
eval_s=$(sed -n 's/.*recall [0-9.]*  (\([0-9.]*\) s)$/\1/p' "$tmp/ev.err" |
    awk '{ s += $1; n++ } END { printf "%.3f", s / n }')
ev_epoch=$(epoch_s "$tmp/ev/losses.csv")

echo "cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs"
echo "blas: $($B --version | sed -n 2p)"
echo
echo "| recipe | s/epoch, $threads thread(s) (median of $rounds) | fastest round |"
echo "| --- | --- | --- |"
for r in $recipes; do
    echo "| ${r%%:*} | $(median "$tmp/${r%%:*}") | $(fastest "$tmp/${r%%:*}") |"
done
echo
[ -s "$tmp/bce" ] && [ -s "$tmp/leaky-b1" ] && [ -s "$tmp/r1-every1" ] && [ -s "$tmp/wide" ] &&
    awk -v d="$(median "$tmp/bce")" -v n="$(median "$tmp/leaky-b1")" -v e="$(median "$tmp/r1-every1")" \
        -v w="$(median "$tmp/wide")" 'BEGIN {
    printf "R1 on one D step in 4: %.2fx the recipe without it; on every step: %.2fx; 512 wide: %.2fx (all with bce, no EMA)\n",
        d / n, e / n, w / d }'
if [ -s "$tmp/tty-on" ]; then
    awk -v a="$(median "$tmp/tty-on")" -v b="$(median "$tmp/tty-off")" 'BEGIN {
        printf "status line: %.2f s/epoch on a terminal, %.2f without (%.2fx)\n", a, b, a / b }'
fi
awk -v e="$eval_s" -v p="$ev_epoch" 'BEGIN {
    printf "evaluation (2,000 samples): %.3f s against %.2f s an epoch of 60,000 images: %.1f%%\n", e, p, 100 * e / p }'
