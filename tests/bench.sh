#!/bin/sh
# bench.sh GAN_BENCH SRC: gan-bench (scripts/bench.sh's measuring tool) on a
# 2,000-digit slice: its report is complete and consistent, and where an
# epoch goes adds up: every kind of call took some time, and the kinds
# together never exceed the epoch (a call timed twice would); Adam alone,
# hot and cold, was timed, and a cache line's trip between two CPUs; a
# synthetic shape is what its options say, scaled to 60,000 images; bad
# shapes are refused. Times are not judged: that is scripts/bench.sh's job,
# on demand.
BIN=$1 SRC=$2
. "$SRC/tests/lib.sh"
test_begin bench

mnist_slice 2000 "$T/slice"

# positive KEY FILE: the value is a number above zero
positive() { awk -v v="$(val "$1" "$2")" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 > 0) }'; }

for t in 1 2; do
    checks=$((checks + 1))
    if ! GAN_BENCH_VERBOSE=1 "$BIN" --data "$T/slice" --threads $t --epochs 3 --reps 3 \
        >"$T/out$t" 2>"$T/err$t"; then
        fail "$t threads: exit $?: $(cat "$T/err$t")"
        continue
    fi
    [ "$(val threads "$T/out$t")" = $t ] || fail "$t threads: threads=$(val threads "$T/out$t")"
    [ "$(val images "$T/out$t")" = 2000 ] || fail "$t threads: images=$(val images "$T/out$t")"
    [ "$(val steps_per_epoch "$T/out$t")" = 32 ] || fail "$t threads: steps_per_epoch"
    [ "$(val sgemm_calls_per_step "$T/out$t")" = 22 ] || fail "$t threads: sgemm_calls_per_step"
    [ -n "$(val kernel "$T/out$t")" ] || fail "$t threads: no kernel"
    for k in floor_epoch_s epoch_s epoch_over_floor spent_gemm_s spent_adam_s spent_act_s \
        spent_data_s spent_epoch_s spent_gemm_over_floor adam_hot_ms adam_cold_ms adam_epoch_ms; do
        positive $k "$T/out$t" || fail "$t threads: $k=$(val $k "$T/out$t")"
    done
    # barrier waits: none can be negative; the rest of the epoch neither
    # (rounded to 0.1 ms, as printed)
    awk -v w="$(val spent_wait_s "$T/out$t")" -v o="$(val spent_other_s "$T/out$t")" \
        'BEGIN { exit !(w >= 0 && o >= -0.0001) }' ||
        fail "$t threads: wait $(val spent_wait_s "$T/out$t"), other $(val spent_other_s "$T/out$t")"
    # a cache line's trip to the second CPU and back: some time, or -1 on one CPU
    rt=$(val line_roundtrip_ns "$T/out$t")
    { [ "$(nproc)" -gt 1 ] && positive line_roundtrip_ns "$T/out$t"; } || { [ "$(nproc)" = 1 ] && [ "$rt" = -1 ]; } ||
        fail "$t threads: line_roundtrip_ns=$rt on $(nproc) CPUs"
    # one line per thread per round in the verbose report
    [ "$(grep -c '^  thread [0-9]*: gemm ' "$T/err$t")" = $((3 * t)) ] ||
        fail "$t threads: per-thread lines: $(cat "$T/err$t")"
done

# a synthetic shape: colour 8 x 6, 32 wide, 500 images; its report names the
# shape, scales the epoch to 60,000 images and gives the peak memory
checks=$((checks + 1))
"$BIN" --size 8x6 --channels 3 --limit 500 --hidden 32 --batch 50 --threads 2 --epochs 2 --reps 2 \
    >"$T/syn" 2>"$T/err" || fail "synthetic shape: $(cat "$T/err")"
[ "$(val inputs "$T/syn"),$(val hidden "$T/syn"),$(val batch "$T/syn"),$(val images "$T/syn"),$(val data "$T/syn"),$(val steps_per_epoch "$T/syn")" = \
    "144,32,50,500,synthetic,10" ] || fail "synthetic shape: $(cat "$T/syn")"
awk -v a="$(val epoch_s "$T/syn")" -v b="$(val epoch_s_60k "$T/syn")" 'BEGIN { d = b - 120 * a; exit !(b > 0 && d <= 0.061 && d >= -0.061) }' ||
    fail "epoch_s_60k $(val epoch_s_60k "$T/syn") is not 120 x epoch_s $(val epoch_s "$T/syn") (to its rounding)"
positive peak_rss_mb "$T/syn" || fail "peak_rss_mb=$(val peak_rss_mb "$T/syn")"
# the sizes given win over the preset's, whichever comes first
"$BIN" --size 8x6 --limit 200 --hidden 24 --batch 40 --preset default --threads 1 --epochs 1 --reps 2 \
    >"$T/order" 2>"$T/err" || fail "--hidden before --preset: $(cat "$T/err")"
[ "$(val hidden "$T/order"),$(val batch "$T/order"),$(val preset "$T/order"),$(val steps_per_cycle "$T/order")" = \
    "24,40,default,4" ] || fail "--hidden before --preset: $(cat "$T/order")"
for bad in "--channels 3" "--size 8x6 --data $T/slice" "--size 0x6" "--hidden 0" "--channels 2 --size 8x6"; do
    # shellcheck disable=SC2086 # the words of each case
    "$BIN" $bad >/dev/null 2>"$T/err"
    [ $? = 2 ] || fail "gan-bench $bad: not refused"
done

checks=$((checks + 1))
"$BIN" --threads 65 >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "threads 1 to 64" "$T/err" || fail "--threads 65: exit $rc, $(cat "$T/err")"

test_end bench
