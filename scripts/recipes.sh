#!/bin/sh
# recipes.sh: the README's recipe table. Trains each recipe for --epochs (20)
# on each data set with each seed, evaluates the final checkpoint with
# `gan-train eval` (10,000 samples against the test split), and prints a
# Markdown table: mean and half-range over the seeds of FID, classes, IS,
# precision and recall, and the mean seconds per epoch (training only).
#
#   scripts/recipes.sh [--seeds "1 2 3"] [--epochs N] [--threads N] [--out DIR]
#                      [--recipes "seed default ..."] [--sets "mnist fashion"]
#
# Runs go to DIR/SET-RECIPE-sSEED (default runs/recipes, never committed); a
# finished run is not trained again, so the script resumes where it stopped.
# Recipes: seed (--preset seed); leaky-b1 (the default without R1: --r1 0);
# default; r1-every1 (--r1-every 1); wide (--hidden 512); hinge (--loss
# hinge); lsgan (--loss lsgan); ema999, ema995 (--ema 0.999, 0.995); lsgan-ema
# (--loss lsgan --ema 0.999); wide-ema (--hidden 512 --ema 0.999); wgan-gp
# (--loss wgan-gp: the default's Adam, 5 critic steps); wgan-paper (--loss
# wgan-gp --lr 1e-4 --beta1 0 --beta2 0.9: Gulrajani et al.'s); wgan-b09-nc2,
# wgan-b09-nc1 (--loss wgan-gp --beta2 0.9 --n-critic 2 or 1); wgan-nc1
# (--loss wgan-gp --n-critic 1); wgan-b0-nc1 (--loss wgan-gp --beta1 0 --beta2
# 0.9 --n-critic 1); wgan-nc1-b0 (--loss wgan-gp --beta1 0 --n-critic 1);
# wgan-nc1-lr4, wgan-nc1-lr8 (--loss wgan-gp --n-critic 1 --lr 4e-4 or 8e-4);
# wgan-nc2-lr4 (--loss wgan-gp --n-critic 2 --lr 4e-4); wgan-nc1-gp1 (--loss
# wgan-gp --n-critic 1 --gp 1); wgan-preset (--preset wgan-gp). Sets: mnist
# (data/mnist), fashion (/usr/share/datasets/fashion-mnist, installed if
# missing). Takes hours on 2 CPUs: about 2.5 minutes per run of the 256-wide
# recipes at 1 thread, 3 times that for wide.
set -eu
cd "$(dirname "$0")/.."
seeds="1 2 3" epochs=20 threads=1 out=runs/recipes
recipes="seed leaky-b1 default r1-every1 wide" sets="mnist fashion"
while [ $# -gt 0 ]; do
    case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --recipes) recipes=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    *) echo "usage: scripts/recipes.sh [--seeds LIST] [--epochs N] [--threads N] [--out DIR] [--recipes LIST] [--sets LIST]" >&2; exit 2 ;;
    esac
done
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
F=/usr/share/datasets/fashion-mnist
case " $sets " in *" fashion "*)
    [ -d $F ] || DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist >&2 ||
        { echo "recipes.sh: needs apt-get install dataset-fashion-mnist" >&2; exit 1; } ;;
esac
args_of() {
    case $1 in
    seed) echo "--preset seed" ;;
    leaky-b1) echo "--r1 0" ;;
    default) echo "" ;;
    r1-every1) echo "--r1-every 1" ;;
    wide) echo "--hidden 512" ;;
    hinge) echo "--loss hinge" ;;
    lsgan) echo "--loss lsgan" ;;
    ema999) echo "--ema 0.999" ;;
    ema995) echo "--ema 0.995" ;;
    lsgan-ema) echo "--loss lsgan --ema 0.999" ;;
    wide-ema) echo "--hidden 512 --ema 0.999" ;;
    wgan-gp) echo "--loss wgan-gp" ;;
    wgan-paper) echo "--loss wgan-gp --lr 1e-4 --beta1 0 --beta2 0.9" ;;
    wgan-b09-nc2) echo "--loss wgan-gp --beta2 0.9 --n-critic 2" ;;
    wgan-b09-nc1) echo "--loss wgan-gp --beta2 0.9 --n-critic 1" ;;
    wgan-nc1) echo "--loss wgan-gp --n-critic 1" ;;
    wgan-b0-nc1) echo "--loss wgan-gp --beta1 0 --beta2 0.9 --n-critic 1" ;;
    wgan-nc1-b0) echo "--loss wgan-gp --beta1 0 --n-critic 1" ;;
    wgan-nc1-lr4) echo "--loss wgan-gp --n-critic 1 --lr 4e-4" ;;
    wgan-nc1-lr8) echo "--loss wgan-gp --n-critic 1 --lr 8e-4" ;;
    wgan-nc2-lr4) echo "--loss wgan-gp --n-critic 2 --lr 4e-4" ;;
    wgan-nc1-gp1) echo "--loss wgan-gp --n-critic 1 --gp 1" ;;
    wgan-preset) echo "--preset wgan-gp" ;;
    *) echo "recipes.sh: unknown recipe $1" >&2; exit 2 ;;
    esac
}
data_of() { [ "$1" = mnist ] && echo data/mnist || echo $F; }
mkdir -p "$out"
echo "| data | recipe | FID | classes | IS | precision | recall | s/epoch (these runs) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for set in $sets; do
    for r in $recipes; do
        rows=""
        for s in $seeds; do
            dir=$out/$set-$r-s$s
            if ! grep -q "^$epochs," "$dir/losses.csv" 2>/dev/null; then
                # shellcheck disable=SC2046
                build/gan-train --data "$(data_of $set)" --epochs "$epochs" --seed "$s" \
                    --threads "$threads" --eval-every 0 --quiet --force --out "$dir" $(args_of $r)
            fi
            [ -s "$dir/eval.csv" ] ||
                build/gan-train eval --checkpoint "$dir/checkpoint.gan" --data "$(data_of $set)" \
                    --csv --threads "$threads" >"$dir/eval.csv" 2>/dev/null
            secs=$(awk -F, 'NR > 1 { s += $7; n++ } END { printf "%.2f", s / n }' "$dir/losses.csv")
            rows="$rows$(sed -n 2p "$dir/eval.csv"),$secs
"
        done
        # checkpoint,epoch,count,fid,fid_floor,classes,kl_uniform,is,precision,recall,accuracy,secs
        printf '%s' "$rows" | awk -F, -v set="$set" -v r="$r" '
            function add(k, v) { s[k] += v; if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v }
            NF >= 12 { n++; add("fid", $4); add("cls", $6); add("is", $8); add("p", $9); add("r", $10); add("t", $12) }
            function f(k, d) { return sprintf("%." d "f ± %." d "f", s[k] / n, (hi[k] - lo[k]) / 2) }
            END { if (n) printf "| %s | %s | %s | %s | %s | %s | %s | %.2f |\n", set, r, f("fid", 1), f("cls", 1), f("is", 2), f("p", 3), f("r", 3), s["t"] / n }'
    done
done
