#!/bin/sh
# bf16.sh BIN SRC: --precision as a user meets it (issue 20): a bad value
# refused; bf16 refused, with the reason, where oneDNN may not use
# AVX512-BF16 (ONEDNN_MAX_CPU_ISA set below it stands for a CPU without);
# where bf16 runs: the banner says so, the same bytes on 1, 2 and 3 threads,
# losses near fp32's but not equal, a resume continues exactly and keeps the
# precision (--precision fp32 on it refused), the fp32 run unchanged.
# 640 digits, no evaluation.
set -u
BIN=$1
SRC=$2
. "$SRC/tests/lib.sh"
test_begin bf16
mnist_slice 640 "$T/d"
run() { "$BIN" --data "$T/d" --eval-every 0 --grid 4 --force "$@"; }

usage_error "--precision: 'fp16' is not fp32 or bf16" --precision fp16

checks=$((checks + 1))
ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI "$BIN" --data "$T/d" --precision bf16 --epochs 1 \
    --out "$T/x" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "^gan-train: --precision bf16: " "$T/err" && [ ! -e "$T/x" ] ||
    fail "bf16 on a CPU without it: exit $rc, $(cat "$T/err")"

checks=$((checks + 1))
run --precision bf16 --epochs 2 --threads 1 --out "$T/b1" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    # this build or CPU has none: the refusal must say which
    grep -Eq "built without oneDNN|neither AVX512-BF16 nor AMX" "$T/err" ||
        fail "bf16 refused with: $(cat "$T/err")"
    echo "bf16.sh: bf16 cannot run here ($(cat "$T/err")); its runs not tested"
    test_end bf16
    exit
fi
grep -q -- "--precision bf16" "$T/err" || fail "the banner does not name bf16: $(head -5 "$T/err")"
for n in 2 3; do
    checks=$((checks + 1))
    run --precision bf16 --epochs 2 --threads $n --out "$T/b$n" --quiet || fail "bf16, $n threads"
    cmp -s "$T/b1/checkpoint.gan" "$T/b$n/checkpoint.gan" || fail "bf16: $n threads differ from 1"
done

checks=$((checks + 1))
run --epochs 2 --threads 1 --out "$T/f" --quiet || fail "fp32 run"
lf=$(sed -n 3p "$T/f/losses.csv" | cut -d, -f3)
lb=$(sed -n 3p "$T/b1/losses.csv" | cut -d, -f3)
awk -v a="$lf" -v b="$lb" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d > 0 && d < 0.05) }' ||
    fail "epoch 2's loss_d: fp32 $lf, bf16 $lb (want near, not equal)"

# resumed after its first epoch: the same bytes; fp32 on it refused
checks=$((checks + 1))
run --precision bf16 --epochs 1 --threads 2 --out "$T/half" --quiet || fail "bf16, 1 epoch"
run --resume "$T/half/checkpoint.gan" --epochs 2 --threads 2 --quiet || fail "bf16 resume"
cmp -s "$T/b1/checkpoint.gan" "$T/half/checkpoint.gan" || fail "bf16 resumed: other bytes"
run --resume "$T/half/checkpoint.gan" --epochs 3 --precision fp32 2>"$T/err"
[ $? -eq 1 ] && grep -q "precision differs from the checkpoint's" "$T/err" ||
    fail "resume, fp32 on bf16: $(cat "$T/err")"
test_end bf16
