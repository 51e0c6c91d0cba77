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
# finished run is not trained again, so the script resumes where it stopped;
# gan-train is built into $BUILD (default build-measure; scripts/measure.sh).
# Recipes, each spelled out in full against today's default (the seed's BCE,
# LeakyReLU, beta1 0.5, R1 10 on one D step in 4, the EMA of G 0.999;
# gan-train 0.2's default was the same without the EMA):
#   default          today's default
#   default-bf16     today's default with --precision bf16 (seed-bf16: the seed's)
#   seed             --preset seed
#   bce              gan-train 0.2's default: --loss bce --ema 0
#   leaky-b1         0.2's default without R1: --loss bce --ema 0 --r1 0
#   r1-every1        --loss bce --ema 0 --r1-every 1
#   wide             --loss bce --ema 0 --hidden 512
#   hinge            --loss hinge --ema 0
#   lsgan            --loss lsgan --ema 0 (least squares alone)
#   ema999, ema995   --loss bce --ema 0.999 or 0.995 (the first: the default)
#   lsgan-ema        --loss lsgan --ema 0.999
#   wide-ema         --loss bce --hidden 512 --ema 0.999
#   lsgan-ema-lr8    --loss lsgan --ema 0.999 --lr 8e-4
#   wgan-preset      --preset wgan-gp
#   wgan-gp          --loss wgan-gp --ema 0 (the default's Adam, 5 critic steps)
# and the WGAN-GP search, each --loss wgan-gp --ema 0 with: wgan-paper (--lr
# 1e-4 --beta1 0 --beta2 0.9: Gulrajani et al.'s), wgan-b09-nc2, wgan-b09-nc1
# (--beta2 0.9 --n-critic 2 or 1), wgan-nc1 (--n-critic 1), wgan-b0-nc1
# (--beta1 0 --beta2 0.9 --n-critic 1), wgan-nc1-b0 (--beta1 0 --n-critic 1),
# wgan-nc1-lr4, wgan-nc1-lr8, wgan-nc1-lr16 (--n-critic 1 --lr 4e-4, 8e-4 or
# 1.6e-3), wgan-nc2-lr4 (--n-critic 2 --lr 4e-4), wgan-nc1-gp1 (--n-critic 1
# --gp 1); and wgan-nc1-lr8-ema (--n-critic 1 --lr 8e-4 --ema 0.999: what
# --preset wgan-gp sets). Sets: mnist
# (data/mnist), fashion (/usr/share/datasets/fashion-mnist, installed if
# missing). Takes hours on 2 CPUs: about 2 minutes per run of the 256-wide
# recipes at 1 thread (WGAN-GP with one critic step 1.25 times that), 2.7
# times that for the wide ones.
set -eu
cd "$(dirname "$0")/.."
seeds="1 2 3" epochs=20 threads=1 out=runs/recipes
recipes="seed bce default lsgan hinge wgan-gp wgan-preset ema999 wide-ema" sets="mnist fashion"
. scripts/measure.sh
list=$recipes
measure_args --recipes "scripts/recipes.sh [--seeds LIST] [--epochs N] [--threads N] [--out DIR] [--recipes LIST] [--sets LIST]" "$@"
recipes=$list
measure_setup
args_of() {
    w="--loss wgan-gp --ema 0"
    case $1 in
    default) echo "" ;;
    default-bf16) echo "--precision bf16" ;;
    seed-bf16) echo "--preset seed --precision bf16" ;;
    seed) echo "--preset seed" ;;
    bce) echo "--loss bce --ema 0" ;;
    leaky-b1) echo "--loss bce --ema 0 --r1 0" ;;
    r1-every1) echo "--loss bce --ema 0 --r1-every 1" ;;
    wide) echo "--loss bce --ema 0 --hidden 512" ;;
    hinge) echo "--loss hinge --ema 0" ;;
    lsgan) echo "--loss lsgan --ema 0" ;;
    ema999) echo "--loss bce --ema 0.999" ;;
    ema995) echo "--loss bce --ema 0.995" ;;
    lsgan-ema) echo "--loss lsgan --ema 0.999" ;;
    wide-ema) echo "--loss bce --hidden 512 --ema 0.999" ;;
    lsgan-ema-lr8) echo "--loss lsgan --ema 0.999 --lr 8e-4" ;;
    wgan-preset) echo "--preset wgan-gp" ;;
    wgan-gp) echo "$w" ;;
    wgan-paper) echo "$w --lr 1e-4 --beta1 0 --beta2 0.9" ;;
    wgan-b09-nc2) echo "$w --beta2 0.9 --n-critic 2" ;;
    wgan-b09-nc1) echo "$w --beta2 0.9 --n-critic 1" ;;
    wgan-nc1) echo "$w --n-critic 1" ;;
    wgan-b0-nc1) echo "$w --beta1 0 --beta2 0.9 --n-critic 1" ;;
    wgan-nc1-b0) echo "$w --beta1 0 --n-critic 1" ;;
    wgan-nc1-lr4) echo "$w --n-critic 1 --lr 4e-4" ;;
    wgan-nc1-lr8) echo "$w --n-critic 1 --lr 8e-4" ;;
    wgan-nc1-lr16) echo "$w --n-critic 1 --lr 1.6e-3" ;;
    wgan-nc2-lr4) echo "$w --n-critic 2 --lr 4e-4" ;;
    wgan-nc1-gp1) echo "$w --n-critic 1 --gp 1" ;;
    wgan-nc1-lr8-ema) echo "--loss wgan-gp --n-critic 1 --lr 8e-4 --ema 0.999" ;;
    *) echo "recipes.sh: unknown recipe $1" >&2; exit 2 ;;
    esac
}
mkdir -p "$out"
echo "| data | recipe | FID | classes | IS | precision | recall | s/epoch (these runs) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for set in $sets; do
    for r in $recipes; do
        rows=$(seed_rows "$set" "$r")
        # checkpoint,epoch,count,fid,...,accuracy[,class_acc,class_worst,intra_fid],secs
        printf '%s\n' "$rows" | awk -F, -v set="$set" -v r="$r" '
            function add(k, v) { s[k] += v; if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v }
            NF >= 12 { n++; add("fid", $4); add("cls", $6); add("is", $8); add("p", $9); add("r", $10); add("t", $NF) }
            function f(k, d) { return sprintf("%." d "f ± %." d "f", s[k] / n, (hi[k] - lo[k]) / 2) }
            END { if (n) printf "| %s | %s | %s | %s | %s | %s | %s | %.2f |\n", set, r, f("fid", 1), f("cls", 1), f("is", 2), f("p", 3), f("r", 3), s["t"] / n }'
    done
done
