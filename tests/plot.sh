#!/bin/sh
# plot.sh BIN SRC: scripts/plot-losses.sh makes a PNG from a file and from a
# pipe (gan-train --log - | plot-losses.sh), from a per-step log (--log-every),
# with a third panel for wgan-gp's Wasserstein estimate, and with --follow;
# refuses what is not a gan-train log.
set -u
BIN=$1
SRC=$2
PLOT=$SRC/scripts/plot-losses.sh
. "$SRC/tests/lib.sh"
test_begin plot

"$BIN" --data "$SRC/data/mnist" --limit 640 --epochs 3 --eval-every 0 --log-every 4 --out "$T/run" \
    --quiet || fail "training run"
checks=$((checks + 1))
sh "$PLOT" "$T/run/losses.csv" -o "$T/file.png" 2>"$T/err" && is_png "$T/file.png" ||
    fail "from a file: $(cat "$T/err")"
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --limit 640 --epochs 2 --eval-every 0 --out "$T/run2" --log - 2>/dev/null |
    sh "$PLOT" -o "$T/pipe.png" 2>"$T/err"
is_png "$T/pipe.png" || fail "from a pipe: $(cat "$T/err")"
checks=$((checks + 1))
[ "$(head -n 1 "$T/run/steps.csv")" = "step,epoch,loss_d,loss_g,d_real,d_fake,r1,wasserstein" ] &&
    [ "$(wc -l <"$T/run/steps.csv")" -eq 8 ] || fail "steps.csv: $(cat "$T/run/steps.csv")"
sh "$PLOT" "$T/run/steps.csv" -o "$T/steps.png" 2>"$T/err" && is_png "$T/steps.png" ||
    fail "from steps.csv: $(cat "$T/err")"
checks=$((checks + 1))
cat "$T/run/losses.csv" | sh "$PLOT" --follow -o "$T/follow.png" 2>"$T/err" && is_png "$T/follow.png" ||
    fail "--follow: $(cat "$T/err")"
cat "$T/run/losses.csv" | sh "$PLOT" --follow >"$T/dumb.txt" 2>"$T/err" && grep -q "epoch" "$T/dumb.txt" ||
    fail "--follow in the terminal: $(cat "$T/err")"
# a wgan-gp log gets a third panel, its Wasserstein estimate (260 pixels a panel)
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --limit 320 --epochs 2 --eval-every 0 --hidden 32 --loss wgan-gp \
    --out "$T/wgan" --quiet || fail "wgan-gp run"
sh "$PLOT" "$T/wgan/losses.csv" -o "$T/wgan.png" 2>"$T/err" && is_png "$T/wgan.png" &&
    [ "$(od -An -tu1 -j20 -N4 "$T/wgan.png" | awk '{ print $3 * 256 + $4 }')" -eq 780 ] &&
    [ "$(od -An -tu1 -j20 -N4 "$T/file.png" | awk '{ print $3 * 256 + $4 }')" -eq 520 ] ||
    fail "wgan-gp log: $(cat "$T/err")"
checks=$((checks + 1))
printf 'a,b\n1,2\n' | sh "$PLOT" -o "$T/bad.png" 2>"$T/err"
[ $? -ne 0 ] && grep -q "not a gan-train log" "$T/err" && [ ! -e "$T/bad.png" ] || fail "bad input: $(cat "$T/err")"
sh "$PLOT" "$T/none.csv" 2>"$T/err"
[ $? -eq 1 ] && grep -q "none.csv: cannot read" "$T/err" || fail "missing file: $(cat "$T/err")"

test_end plot.sh
