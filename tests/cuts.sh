#!/bin/sh
# cuts.sh GAN_BENCH SRC GAN_TRAIN: gan-bench --cut-bits (bench_cuts.c) on a
# 2,000-digit slice: it reports every product a step runs, its summary agrees
# with its lines, and what it says of a thread count is what gan-train's
# checkpoints show; on Haswell's kernels it sees cut products change.
BIN=$1 SRC=$2 TRAIN=$3
. "$SRC/tests/lib.sh"
test_begin cuts

mnist_slice 2000 "$T/slice"

# --cut-bits: one line per product a step runs (G 8, D 12 on b rows and 12 on
# 2b, for the full batch of 40 and the last one of 10: 64), each naming the
# thread counts in 2..16 that change its bits; the summary agrees with them
checks=$((checks + 1))
"$BIN" --cut-bits --size 8x6 --channels 3 --limit 210 --hidden 24 --batch 40 --preset default \
    >"$T/cuts" 2>"$T/err" || fail "--cut-bits: $(cat "$T/err")"
[ "$(val cut_bits_products "$T/cuts"),$(val cut_bits_last_batch "$T/cuts"),$(grep -c '^cut_bits net=' "$T/cuts")" = \
    "64,10,64" ] || fail "--cut-bits: $(cat "$T/cuts")"
awk -F'differ_threads=' '/^cut_bits net=/ && $2 != "none" { n = split($2, t, ",");
        for (i = 1; i <= n; i++) if (t[i] !~ /^[0-9]+$/ || t[i] < 2 || t[i] > 16) bad = 1; else c[t[i]]++ }
    /^cut_bits_differing=/ { sub(/^cut_bits_differing=/, ""); n = split($0, kv, ",");
        for (i = 1; i <= n; i++) { split(kv[i], p, ":"); if (p[2] != c[p[1]] + 0) bad = 1; if (p[2] == 0) same = same "," p[1] } }
    /^cut_bits_same_threads=/ { got = substr($0, 23) }
    END { sub(/^,/, "", same); if (same == "") same = "none"; exit bad || got != same }' "$T/cuts" ||
    fail "--cut-bits: the summary does not match the lines: $(cat "$T/cuts")"
# what --cut-bits says of 3 threads is what gan-train's checkpoint shows: the
# same bytes as on 1 thread exactly where every product keeps its bits (640
# digits: no partial batch; 656: a last batch of 16, whose narrow cuts
# Cooperlake's kernel sums in another order)
for lim in 640 656; do
    checks=$((checks + 1))
    "$BIN" --cut-bits --data "$T/slice" --limit $lim >"$T/cb$lim" 2>"$T/err" || fail "--cut-bits --limit $lim: $(cat "$T/err")"
    case ",$(val cut_bits_same_threads "$T/cb$lim")," in *,3,*) want=same ;; *) want=different ;; esac
    for t in 1 3; do
        "$TRAIN" --data "$T/slice" --limit $lim --preset seed --epochs 1 --eval-every 0 --threads $t \
            --out "$T/run$lim-$t" --quiet 2>"$T/err" || fail "gan-train --limit $lim --threads $t: $(cat "$T/err")"
    done
    got=different
    cmp -s "$T/run$lim-1/checkpoint.gan" "$T/run$lim-3/checkpoint.gan" && got=same
    [ $got = $want ] || fail "--limit $lim: --cut-bits says 3 threads give the $want bits, gan-train's are $got"
done
# Haswell's kernels (any AVX2 CPU runs them) sum in another order once cut:
# at 256 wide, 2 threads already change products, and it is seen
if grep -q ' avx2 ' /proc/cpuinfo; then
    checks=$((checks + 1))
    OPENBLAS_CORETYPE=Haswell "$BIN" --cut-bits --data "$T/slice" >"$T/hw" 2>"$T/err" ||
        fail "--cut-bits on Haswell: $(cat "$T/err")"
    if [ "$(val kernel "$T/hw")" = Haswell ]; then
        case "$(val cut_bits_differing "$T/hw")" in
        2:0,*) fail "--cut-bits on Haswell: no product changed on 2 threads: $(cat "$T/hw")" ;;
        esac
    fi
fi

test_end cuts
