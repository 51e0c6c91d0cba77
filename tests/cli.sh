#!/bin/sh
# cli.sh BIN SRC OLD_OPENBLAS: the gan-train command as a user meets it: bad
# values exit 2 with one line naming the flag; --help and --version; the
# OpenBLAS kernel choice (OLD_OPENBLAS: the LD_PRELOAD stand-in for a library
# that does not know this CPU); one epoch on the embedded MNIST; an existing
# run refused and left intact; --log -; bad data; resume; signals; sample.
set -u
BIN=$1
SRC=$2
OLD=$3
# AddressSanitizer wants its runtime loaded first; the stand-in comes first
ASAN_OLD="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
CG=/sys/fs/cgroup/cpu/gan-test-$$ # a cgroup of the test's own, where it can make one
. "$SRC/tests/lib.sh"
test_begin cli 'rmdir "$CG" 2>/dev/null'

# same_losses RUN_A RUN_B: their CSVs agree but for the seconds column
same_losses() {
    cut -d, -f1-6 "$1/losses.csv" >"$T/a.csv"
    cut -d, -f1-6 "$2/losses.csv" >"$T/b.csv"
    cmp -s "$T/a.csv" "$T/b.csv"
}

# signal_run SIGNAL SECONDS OUT: an 8-epoch run (long enough to be caught
# running, a few seconds) sent SIGNAL after SECONDS; sets rc to its exit
# status, its standard error in $T/err
signal_run() {
    "$BIN" --data "$T/small" --epochs 8 --out "$3" 2>"$T/err" &
    pid=$!
    sleep "$2"
    kill "-$1" $pid
    wait $pid
    rc=$?
}

usage_error "--epochs: '0'" --epochs 0
usage_error "--epochs: 'abc'" --epochs abc
usage_error "--epochs: '5x'" --epochs 5x
usage_error "--epochs: ''" --epochs ""
usage_error "--epochs: '99999999999999999999'" --epochs 99999999999999999999
usage_error "--lr: '-1'" --lr -1
usage_error "--lr: '0'" --lr 0
usage_error "--lr: 'nan'" --lr nan
usage_error "--lr: 'inf'" --lr inf
usage_error "--lr: '1e999'" --lr 1e999
usage_error "--beta1: '1'" --beta1 1
usage_error "--beta2: '-0.1'" --beta2 -0.1
usage_error "--batch-size: '0'" --batch-size 0
usage_error "--z-dim: '0'" --z-dim 0
usage_error "--hidden: '-3'" --hidden -3
usage_error "--activation: 'tanh'" --activation tanh
usage_error "--leaky-slope: '1.5'" --activation leaky --leaky-slope 1.5
usage_error "--threads: '0'" --threads 0
usage_error "--grid: '0'" --grid 0
usage_error "--png-scale: '99'" --png-scale 99
usage_error "--seed: '-1'" --seed -1
usage_error "--seed: 'x'" --seed x
usage_error "--data: empty" --data ""
usage_error "--bogus: unknown" --bogus
usage_error "--epochs: needs a value" --epochs
usage_error "'extra': unexpected argument" extra
usage_error "-x: unknown option" -x

checks=$((checks + 1))
"$BIN" --help >"$T/out" 2>"$T/err" || fail "--help exit $?"
for want in "--epochs N" "[20]" "[0.0002]" "[64]" "[0.5]" "[0.999]" "[100]" "[256]" "[./data/mnist, else the copy installed with gan-train]" "[4]" \
    "relu or leaky" "--preset NAME" "[default]" "--r1 GAMMA" "[10]" "--r1-every K" "--limit N"; do
    grep -qF -- "$want" "$T/out" || fail "--help lacks '$want'"
done
checks=$((checks + 1))
"$BIN" --version >"$T/out" || fail "--version: exit $?"
grep -q "^gan-train [0-9]" "$T/out" || fail "--version: $(cat "$T/out")"
sed -n 2p "$T/out" | grep -q "^OpenBLAS [0-9.]*, kernel [A-Za-z0-9_]*[,:] " ||
    fail "--version names no kernel: $(cat "$T/out")"

# The kernel (gan_kernel.h). With a library that picks Prescott on this CPU,
# gan-train restarts once, on the kernel of the CPU's level, and says so.
# These runs clear OPENBLAS_CORETYPE on purpose: a user who set nothing.
if grep -qw avx /proc/cpuinfo; then
    checks=$((checks + 1))
    env -u OPENBLAS_CORETYPE -u GAN_TRAIN_KERNEL_FROM LD_PRELOAD=$OLD OLD_OPENBLAS_LOG=$T/loads ASAN_OPTIONS=$ASAN_OLD "$BIN" --version >"$T/out" ||
        fail "--version on the old library: exit $?"
    grep -q "^OpenBLAS [0-9.]*, kernel [A-Za-z]*, chosen by gan-train: OpenBLAS picked Prescott for this CPU (" \
        "$T/out" || fail "no restart on the old library: $(cat "$T/out")"
    grep -q "kernel Prescott" "$T/out" && fail "restarted on Prescott: $(cat "$T/out")"
    [ "$(wc -l <"$T/loads")" -eq 2 ] || fail "loaded $(wc -l <"$T/loads") times, want 2: $(cat "$T/loads")"
    sed -n 2p "$T/loads" | grep -Eq "OPENBLAS_CORETYPE=(Sandybridge|Haswell|Zen|SkylakeX|Cooperlake)$" ||
        fail "restarted with: $(cat "$T/loads")"
    # the user's value is never overridden, not even a slow one
    checks=$((checks + 1))
    rm -f "$T/loads"
    env -u GAN_TRAIN_KERNEL_FROM OPENBLAS_CORETYPE=Prescott LD_PRELOAD=$OLD OLD_OPENBLAS_LOG=$T/loads ASAN_OPTIONS=$ASAN_OLD \
        "$BIN" --version >"$T/out" || fail "--version with OPENBLAS_CORETYPE: exit $?"
    grep -q "kernel Prescott, from OPENBLAS_CORETYPE=Prescott in the environment; this CPU (.*) can run " \
        "$T/out" || fail "the user's kernel: $(cat "$T/out")"
    [ "$(wc -l <"$T/loads")" -eq 1 ] || fail "restarted over the user's value: $(cat "$T/loads")"
fi

usage_error "--preset: 'best' is not default, seed or wgan-gp" --preset best
usage_error "--r1: '-1'" --r1 -1
usage_error "--r1-every: '0'" --r1-every 0
usage_error "--loss: 'wgan' is not bce, hinge, lsgan or wgan-gp" --loss wgan
usage_error "--r1: --loss wgan-gp has its own gradient penalty (--gp) in R1's place" --loss wgan-gp --r1 5
usage_error "--r1: --loss wgan-gp has its own" --preset wgan-gp --r1 1
usage_error "--gp: the interpolates' gradient penalty is --loss wgan-gp's; this run's loss is bce" --gp 5
usage_error "--gp: '0'" --loss wgan-gp --gp 0
usage_error "--n-critic: '0'" --n-critic 0
usage_error "--ema: '1'" --ema 1
usage_error "--ema: '-0.5'" --ema -0.5
usage_error "--limit: '0'" --limit 0
usage_error "--limit: 'all'" --limit all
usage_error "--eval-every: '-1'" --eval-every -1
usage_error "--eval-count: '5'" --eval-count 5
usage_error "--patience: 'x'" --patience x
usage_error "--cache: empty folder name" --cache ""
usage_error "--log-every: '-1'" --log-every -1
usage_error "eval: --checkpoint FILE (or --samples FILE, --weights FILE) is required" eval --data x
usage_error "eval: give one of --checkpoint FILE, --samples FILE and --weights FILE" eval --checkpoint x --samples y
usage_error "eval: give one of --checkpoint FILE, --samples FILE and --weights FILE" eval --weights x --samples y
usage_error "--count: '1'" eval --checkpoint x --count 1

# One epoch on the first 640 images of the embedded data (--limit).
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 640 --eval-every 0 --out "$T/run" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || fail "training run exit $rc: $(cat "$T/err")"
[ -s "$T/out" ] && fail "training run wrote to stdout"
[ "$(wc -l <"$T/run/losses.csv")" -eq 2 ] || fail "losses.csv is not header + 1 row"
head -n 1 "$T/run/losses.csv" |
    grep -qx "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds,r1,fid,classes,kl_uniform,is,precision,recall,wasserstein,class_acc,class_worst,intra_fid" ||
    fail "CSV header"
grep -q "^1,10," "$T/run/losses.csv" || fail "CSV row: 640 images / 64 = 10 steps"
# the default recipe: BCE on D's sigmoid, R1, the EMA of G
grep -q "^recipe:   default$" "$T/err" && grep -q "D 784-256-256-1 (leaky, sigmoid)" "$T/err" &&
    grep -q "batch 64, bce loss, Adam lr 0.0002 betas (0.5, 0.999)" "$T/err" &&
    grep -q "EMA of G's weights, decay 0.999" "$T/err" || fail "default banner: $(cat "$T/err")"
# the default recipe: R1 on steps 0, 4 and 8, its mean in the r1 column
[ "$(cut -d, -f8 "$T/run/losses.csv" | tail -n 1 | grep -c '^[0-9][0-9.]*$')" -eq 1 ] ||
    fail "no R1 column: $(cat "$T/run/losses.csv")"
[ -s "$T/run/samples/epoch-001.png" ] || fail "no samples/epoch-001.png"
grep -q "Epoch \[1/1\] Loss D: [0-9.]*, Loss G: [0-9.]*" "$T/err" || fail "no epoch line"
grep -q "640 training images of 28 x 28 (the first of 60000: --limit)" "$T/err" || fail "no data summary"
grep -q "^recipe:   default$" "$T/err" || fail "no recipe line: $(cat "$T/err")"
grep -q "^eval:     off (--eval-every 0)$" "$T/err" || fail "no eval line: $(cat "$T/err")"
# the end-of-run summary and the timeline
grep -q "^summary:  1 epoch, 10 steps, 0:0[0-9] of training ([0-9]* samples/s)$" "$T/err" &&
    grep -q "^          loss_d: min [0-9.]* (epoch 1), max [0-9.]* (epoch 1), last [0-9.]*$" "$T/err" &&
    grep -q "^          $T/run/progress.png (timeline)$" "$T/err" || fail "no summary: $(cat "$T/err")"
is_png "$T/run/progress.png" || fail "no progress.png"
grep -q "R1 penalty gamma 10 on D's logit at the real images, on one D step in 4, scaled by 4" "$T/err" ||
    fail "no R1 line: $(cat "$T/err")"

# Live progress: on a terminal (a pseudo-terminal from script(1)) a status
# line redrawn in place; without one, the same run has no control characters.
checks=$((checks + 1))
if command -v script >/dev/null 2>&1; then
    script -qec "\"$BIN\" --data \"$SRC/data/mnist\" --epochs 1 --limit 25600 --eval-every 0 --out \"$T/tty\"" \
        "$T/tty.log" >/dev/null 2>&1 || fail "run on a pseudo-terminal: $(cat "$T/tty.log")"
    grep -q "$(printf '\r')  epoch 1/1 *[0-9]*%  [0-9]* steps/s  D [0-9.]*  G [0-9.]*  ETA [0-9:]*, run [0-9:]*" \
        "$T/tty.log" || fail "no status line on a terminal: $(cat -v "$T/tty.log")"
    grep -q "Epoch \[1/1\]" "$T/tty.log" || fail "no epoch line on a terminal"
else
    echo "cli.sh: script(1) missing; the terminal check is skipped" >&2
fi
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 6400 --eval-every 0 --out "$T/notty" 2>"$T/err" ||
    fail "run without a terminal"
tr -d '\n' <"$T/err" | grep -q "$(printf '[\r\033]')" && fail "control characters without a terminal: $(cat -v "$T/err")"

# Presets: explicit options override a preset's values, whatever their order.
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 64 --eval-every 0 --hidden 32 --out "$T/p1" --preset seed --beta1 0.7 \
    2>"$T/err" || fail "preset run: $(cat "$T/err")"
grep -q "^recipe:   seed, --hidden 32 --beta1 0.7$" "$T/err" || fail "preset + options: $(cat "$T/err")"
grep -q "betas (0.7, 0.999)" "$T/err" || fail "preset + options: $(cat "$T/err")"
grep -q "R1 penalty" "$T/err" && fail "seed preset with R1: $(cat "$T/err")"
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 64 --hidden 32 --out "$T/p1" --resume "$T/p1/checkpoint.gan" \
    --epochs 2 --preset default 2>"$T/err"
[ $? -eq 1 ] && grep -q "preset differs from the checkpoint" "$T/err" || fail "resume, other preset: $(cat "$T/err")"
"$BIN" --data "$SRC/data/mnist" --epochs 2 --resume "$T/p1/checkpoint.gan" --eval-every 0 --quiet 2>"$T/err" ||
    fail "resume with --limit from the checkpoint: $(cat "$T/err")"
[ "$(wc -l <"$T/p1/losses.csv")" -eq 3 ] || fail "resumed --limit run: $(cat "$T/p1/losses.csv")"

# --loss: the banner and recipe name it, D gives its logit, the CSV's losses
# are that loss's, and a resumed run keeps it (another is refused)
checks=$((checks + 1))
for l in hinge lsgan; do
    out=logit
    "$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 128 --eval-every 0 --hidden 32 --loss $l \
        --out "$T/loss-$l" 2>"$T/err" || fail "--loss $l: $(cat "$T/err")"
    grep -q "^recipe:   default, --hidden 32 --loss $l$" "$T/err" && grep -q "D 784-32-32-1 (leaky, $out)" "$T/err" &&
        grep -q "batch 64, $l loss, Adam" "$T/err" || fail "--loss $l banner: $(cat "$T/err")"
    awk -F, 'NR == 2 { exit !($3 != "" && $5 > 0 && $5 < 1 && $6 > 0 && $6 < 1) }' "$T/loss-$l/losses.csv" ||
        fail "--loss $l CSV: $(cat "$T/loss-$l/losses.csv")"
done
"$BIN" --data "$SRC/data/mnist" --resume "$T/loss-hinge/checkpoint.gan" --epochs 2 --loss lsgan 2>"$T/err"
[ $? -eq 1 ] && grep -q "loss differs from the checkpoint" "$T/err" || fail "resume, other loss: $(cat "$T/err")"
"$BIN" --data "$SRC/data/mnist" --resume "$T/loss-hinge/checkpoint.gan" --epochs 2 --eval-every 0 2>"$T/err" &&
    grep -q "hinge loss" "$T/err" || fail "resumed hinge run: $(cat "$T/err")"

# --loss wgan-gp: R1 off, the critic steps and penalty in the banner, the
# penalty in the r1 column and the Wasserstein estimate in the last; resume
# refuses other critic steps; --preset wgan-gp names itself
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 320 --eval-every 0 --hidden 32 --loss wgan-gp \
    --log-every 2 --out "$T/wgan" 2>"$T/err" || fail "--loss wgan-gp: $(cat "$T/err")"
grep -q "^recipe:   default, --hidden 32 --loss wgan-gp$" "$T/err" &&
    grep -q "batch 64, wgan-gp loss, Adam lr 0.0002 betas (0.5, 0.999)" "$T/err" &&
    grep -q "5 D steps per G step, each on its own batch (about 1 G steps an epoch)" "$T/err" &&
    grep -q "gradient penalty lambda 10 on D's logit at interpolates" "$T/err" &&
    ! grep -q "R1 penalty" "$T/err" && grep -q "Wasserstein: " "$T/err" || fail "--loss wgan-gp banner: $(cat "$T/err")"
awk -F, 'NR == 2 { exit !($2 == 5 && $8 > 0 && $15 != "" && $15 == -$3) }' "$T/wgan/losses.csv" ||
    fail "--loss wgan-gp CSV: $(cat "$T/wgan/losses.csv")"
# steps.csv: rows of 2 steps, loss_g empty where neither had a G step (steps 0-1)
[ "$(sed -n 2p "$T/wgan/steps.csv" | cut -d, -f1,4)" = "2," ] &&
    [ "$(sed -n 3p "$T/wgan/steps.csv" | cut -d, -f8)" != "" ] || fail "--loss wgan-gp steps.csv: $(cat "$T/wgan/steps.csv")"
"$BIN" --data "$SRC/data/mnist" --resume "$T/wgan/checkpoint.gan" --epochs 2 --n-critic 2 2>"$T/err"
[ $? -eq 1 ] && grep -q "n-critic differs from the checkpoint" "$T/err" || fail "resume, other --n-critic: $(cat "$T/err")"
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 128 --eval-every 0 --hidden 32 --preset wgan-gp \
    --out "$T/wgan-p" 2>"$T/err" || fail "--preset wgan-gp: $(cat "$T/err")"
grep -q "^recipe:   wgan-gp, --hidden 32$" "$T/err" || fail "--preset wgan-gp recipe: $(cat "$T/err")"
# a log of gan-train 0.2.0 (no wasserstein or class columns) gets the columns on resume
sed -e '1s/,wasserstein,class_acc,class_worst,intra_fid$//' -e '2s/\(,[^,]*\)\{4\}$//' \
    "$T/wgan/losses.csv" >"$T/old.csv" && cp "$T/old.csv" "$T/wgan/losses.csv"
"$BIN" --data "$SRC/data/mnist" --resume "$T/wgan/checkpoint.gan" --epochs 2 --eval-every 0 2>"$T/err" ||
    fail "resume over an older log: $(cat "$T/err")"
[ "$(head -n 1 "$T/wgan/losses.csv" | tr -cd , | wc -c)" -eq 17 ] &&
    [ "$(sed -n 2p "$T/wgan/losses.csv" | tr -cd , | wc -c)" -eq 17 ] &&
    [ "$(sed -n 3p "$T/wgan/losses.csv" | cut -d, -f15)" != "" ] || fail "older log resumed: $(cat "$T/wgan/losses.csv")"

# --ema: the banner says so, export writes the average as G (and --raw the
# trained weights: other bytes), and a resumed run keeps it (another refused)
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 128 --eval-every 0 --hidden 32 --ema 0.99 \
    --out "$T/ema" 2>"$T/err" || fail "--ema: $(cat "$T/err")"
grep -q "^recipe:   default, --hidden 32 --ema 0.99$" "$T/err" &&
    grep -q "EMA of G's weights, decay 0.99, updated after every G step" "$T/err" || fail "--ema banner: $(cat "$T/err")"
"$BIN" export --checkpoint "$T/ema/checkpoint.gan" --out "$T/ema-x" 2>/dev/null &&
    "$BIN" export --checkpoint "$T/ema/checkpoint.gan" --out "$T/ema-raw" --raw 2>/dev/null || fail "export of an EMA run"
grep -q '"weights":"ema 0.99"' "$T/ema-x/G.safetensors" && grep -q '"weights":"trained"' "$T/ema-raw/G.safetensors" ||
    fail "export metadata: $(head -c 400 "$T/ema-x/G.safetensors")"
cmp -s "$T/ema-x/G.safetensors" "$T/ema-raw/G.safetensors" && fail "export --raw gave the average"
cmp -s "$T/ema-x/D.safetensors" "$T/ema-raw/D.safetensors" || fail "export --raw changed D"
"$BIN" --data "$SRC/data/mnist" --resume "$T/ema/checkpoint.gan" --epochs 2 --ema 0.5 2>"$T/err"
[ $? -eq 1 ] && grep -q "ema differs from the checkpoint" "$T/err" || fail "resume, other --ema: $(cat "$T/err")"

# Version 1: a checkpoint written before presets (the old default = --preset
# seed) resumes, and gives the old gan-train's losses and grid exactly; a
# --preset seed run from scratch gives them too (tests/fixtures/v1).
checks=$((checks + 1))
V1=$SRC/tests/fixtures/v1
mkdir "$T/v1"
cp "$V1/checkpoint-v1.gan" "$T/v1/checkpoint.gan"
head -n 3 "$V1/losses-v1.csv" >"$T/v1/losses.csv"
"$BIN" --data "$V1" --resume "$T/v1/checkpoint.gan" --epochs 4 --threads 1 2>"$T/err" ||
    fail "resume of a version-1 checkpoint: $(cat "$T/err")"
grep -q "^recipe:   seed, --z-dim 4 --hidden 8 --batch-size 16$" "$T/err" || fail "v1 recipe: $(cat "$T/err")"
cmp -s "$T/v1/samples/epoch-004.png" "$V1/epoch-004-v1.png" || fail "v1 resumed: other grid"
cut -d, -f1-6 "$V1/losses-v1.csv" >"$T/a.csv"
cut -d, -f1-6 "$T/v1/losses.csv" | sed 1d >"$T/b.csv"
sed 1d "$T/a.csv" | cmp -s - "$T/b.csv" || fail "v1 resumed: other losses: $(cat "$T/v1/losses.csv")"
[ "$(head -n 2 "$T/v1/losses.csv" | tail -n 1 | tr -cd , | wc -c)" -eq 17 ] || fail "old CSV rows not padded"
"$BIN" --data "$V1" --out "$T/v1new" --epochs 4 --hidden 8 --z-dim 4 --grid 2 --batch-size 16 --seed 5 \
    --threads 1 --preset seed --quiet || fail "--preset seed on the v1 data"
cmp -s "$T/v1new/samples/epoch-004.png" "$V1/epoch-004-v1.png" || fail "--preset seed: other grid than v1"
cut -d, -f1-6 "$T/v1new/losses.csv" | sed 1d | cmp -s - "$T/b.csv" || fail "--preset seed: other losses"

# The same --out again: refused, exit 1, nothing touched.
checks=$((checks + 1))
cp "$T/run/losses.csv" "$T/keep.csv"
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 64 --out "$T/run" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "rerun into a run folder: exit $rc, want 1"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "rerun: not one line"
grep -q "holds an earlier run" "$T/err" || fail "rerun: $(cat "$T/err")"
cmp -s "$T/keep.csv" "$T/run/losses.csv" || fail "rerun changed losses.csv"

# --log -: the CSV alone on stdout; --quiet: nothing on stderr.
checks=$((checks + 1))
"$BIN" --data "$SRC/data/mnist" --epochs 1 --limit 64 --eval-every 0 --out "$T/run2" --log - --quiet >"$T/out" 2>"$T/err"
[ $? -eq 0 ] || fail "--log - run failed"
[ -s "$T/err" ] && fail "--quiet printed: $(cat "$T/err")"
[ "$(wc -l <"$T/out")" -eq 2 ] && head -n 1 "$T/out" | grep -q "^epoch,steps" || fail "--log - output: $(cat "$T/out")"
[ -e "$T/run2/losses.csv" ] && fail "--log - also wrote losses.csv"

# Bad data: missing folder, truncated file; one line, exit 1, file named.
checks=$((checks + 1))
"$BIN" --data "$T/none" --out "$T/x" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "missing data folder: exit not 1"
grep -q "$T/none: data folder not found" "$T/err" || fail "missing folder: $(cat "$T/err")"
checks=$((checks + 1))
mkdir "$T/cut"
cp "$SRC/data/mnist/train-labels-idx1-ubyte.gz" "$T/cut/"
gzip -dc "$SRC/data/mnist/train-images-idx3-ubyte.gz" | head -c 100000 >"$T/cut/train-images-idx3-ubyte"
"$BIN" --data "$T/cut" --out "$T/y" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "truncated data: exit not 1"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "truncated data: not one line"
grep -q "train-images-idx3-ubyte: truncated: header announces 47040000 data bytes, file holds 99984" "$T/err" ||
    fail "truncated data: $(cat "$T/err")"

# Resume: 2 epochs in one go and 1 + 1 resumed give the same checkpoint,
# grid and CSV loss columns; the CSV is appended, not restarted.
checks=$((checks + 1))
mnist_slice 8000 "$T/small" # the first 8000 digits
# no labels: these runs train without evaluation (tests/eval.sh tests it)
"$BIN" --data "$T/small" --epochs 2 --out "$T/two" --quiet --batch-size 256 || fail "two epochs"
"$BIN" --data "$T/small" --epochs 1 --out "$T/one" --quiet --batch-size 256 || fail "one epoch"
"$BIN" --data "$T/small" --epochs 2 --resume "$T/one/checkpoint.gan" --quiet || fail "resume"
cmp -s "$T/two/checkpoint.gan" "$T/one/checkpoint.gan" || fail "resumed checkpoint differs"
cmp -s "$T/two/samples/epoch-002.png" "$T/one/samples/epoch-002.png" || fail "resumed grid differs"
cmp -s "$T/two/progress.png" "$T/one/progress.png" || fail "resumed timeline progress.png differs"
same_losses "$T/two" "$T/one" || fail "resumed CSV differs: $(cat "$T/one/losses.csv")"
checks=$((checks + 1))
"$BIN" --data "$T/small" --epochs 2 --resume "$T/one/checkpoint.gan" 2>"$T/err"
[ $? -eq 0 ] && grep -q "already at epoch 2 of 2" "$T/err" || fail "resume at its end: $(cat "$T/err")"
"$BIN" --data "$T/small" --epochs 3 --resume "$T/one/checkpoint.gan" --z-dim 64 2>"$T/err"
[ $? -eq 1 ] && grep -q "z-dim differs from the checkpoint" "$T/err" || fail "shape conflict: $(cat "$T/err")"
"$BIN" --data "$T/small" --epochs 3 --resume "$T/one/checkpoint.gan" --out "$T/two" 2>"$T/err"
[ $? -eq 1 ] && grep -q "holds an earlier run" "$T/err" || fail "resume into another run: $(cat "$T/err")"
cmp -s "$T/two/checkpoint.gan" "$T/one/checkpoint.gan" || fail "resume into another run touched it"
"$BIN" --data "$T/small" --epochs 3 --resume "$T/none.gan" 2>"$T/err"
[ $? -eq 1 ] && grep -q "none.gan: cannot open" "$T/err" || fail "missing checkpoint: $(cat "$T/err")"
usage_error "--resume: empty" --resume ""

# --threads defaults to the CPUs the process may use: pinned to one, one.
if command -v taskset >/dev/null 2>&1; then
    checks=$((checks + 1))
    cpu=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\).*/\1/p' /proc/self/status)
    taskset -c "$cpu" "$BIN" --data "$T/small" --epochs 1 --batch-size 256 --out "$T/pinned" \
        2>"$T/err" || fail "pinned run: $(cat "$T/err")"
    grep -q "seed 1, 1 thread$" "$T/err" || fail "pinned to CPU $cpu, not 1 thread: $(cat "$T/err")"
    grep -q "note:" "$T/err" && fail "pinned run, default threads: $(cat "$T/err")"
    # more threads than CPUs: the banner says what that costs (the run is stopped early)
    checks=$((checks + 1))
    taskset -c "$cpu" "$BIN" --data "$T/small" --epochs 1 --threads 2 --out "$T/pinned2" 2>"$T/err" &
    pid=$!
    sleep 0.6
    kill -TERM $pid
    wait $pid
    grep -q "note: 2 threads on 1 CPU wait for each other at every barrier, several times slower than --threads 1" \
        "$T/err" || fail "2 threads on 1 CPU, no note: $(cat "$T/err")"
fi
# ... and under a CPU quota of half a CPU (a cgroup v1 of our own, where root may make one), one.
if [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && mkdir "$CG" 2>/dev/null; then
    checks=$((checks + 1))
    echo 50000 >"$CG/cpu.cfs_quota_us" || fail "cannot set a CPU quota"
    sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --data "$3" --epochs 1 --batch-size 256 --out "$4"' \
        sh "$CG" "$BIN" "$T/small" "$T/quota" 2>"$T/err" || fail "run under a quota: $(cat "$T/err")"
    grep -q "seed 1, 1 thread$" "$T/err" || fail "under half a CPU, not 1 thread: $(cat "$T/err")"
    rmdir "$CG" || fail "could not remove $CG"
fi

# Signals: SIGINT finishes the step, writes a checkpoint of exactly there and
# exits 130; resuming from it gives the uninterrupted run's bytes. SIGTERM: 143.
checks=$((checks + 1))
"$BIN" --data "$T/small" --epochs 8 --out "$T/whole" --quiet || fail "uninterrupted run"
signal_run INT 0.6 "$T/cut"
[ $rc -eq 130 ] || fail "SIGINT: exit $rc, want 130"
grep -q "resume with: gan-train --resume $T/cut/checkpoint.gan --epochs 8" "$T/err" ||
    fail "SIGINT: no resume hint: $(cat "$T/err")"
"$BIN" --data "$T/small" --epochs 8 --resume "$T/cut/checkpoint.gan" --quiet || fail "resume after SIGINT"
cmp -s "$T/whole/checkpoint.gan" "$T/cut/checkpoint.gan" || fail "interrupted + resumed run differs"
same_losses "$T/whole" "$T/cut" || fail "interrupted + resumed CSV differs"
checks=$((checks + 1))
signal_run TERM 0.4 "$T/term"
[ $rc -eq 143 ] || fail "SIGTERM: exit $rc, want 143"
"$BIN" --data "$T/small" --epochs 1 --resume "$T/term/checkpoint.gan" --quiet || fail "checkpoint after SIGTERM"

# A run that restarted on another kernel is the same process: its banner
# names the kernel, a SIGTERM reaches it, and its checkpoint resumes.
if grep -qw avx /proc/cpuinfo; then
    checks=$((checks + 1))
    env -u OPENBLAS_CORETYPE -u GAN_TRAIN_KERNEL_FROM LD_PRELOAD=$OLD OLD_OPENBLAS_LOG=$T/loads2 ASAN_OPTIONS=$ASAN_OLD \
        "$BIN" --data "$T/small" --epochs 8 --out "$T/restarted" 2>"$T/err" &
    pid=$!
    sleep 0.6
    kill -TERM $pid
    wait $pid
    rc=$?
    [ $rc -eq 143 ] || fail "SIGTERM to a restarted run: exit $rc, want 143: $(cat "$T/err")"
    grep -q "^blas:     OpenBLAS [0-9.]*, kernel [A-Za-z]*, chosen by gan-train: OpenBLAS picked Prescott" \
        "$T/err" || fail "restarted run's banner: $(cat "$T/err")"
    [ "$(wc -l <"$T/loads2")" -eq 2 ] || fail "restarted run loaded $(wc -l <"$T/loads2") times"
    "$BIN" --data "$T/small" --epochs 1 --resume "$T/restarted/checkpoint.gan" --out "$T/probe" \
        --quiet 2>"$T/err" || fail "checkpoint of a restarted run: $(cat "$T/err")"
    rm -rf "$T/probe"
fi

# A second Ctrl-C leaves at once (130), and what is on disk still loads.
checks=$((checks + 1))
"$BIN" --data "$T/small" --epochs 8 --out "$T/twice" 2>"$T/err" &
pid=$!
sleep 0.5
kill -INT $pid
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "two SIGINTs: exit $rc, want 130"
if [ -e "$T/twice/checkpoint.gan" ]; then
    "$BIN" --data "$T/small" --epochs 1 --resume "$T/twice/checkpoint.gan" --out "$T/probe" \
        --quiet 2>"$T/err2" || fail "checkpoint after two SIGINTs: $(cat "$T/err2")"
    rm -rf "$T/probe"
fi

# SIGKILL at random moments: whatever is on disk is a whole checkpoint.
checks=$((checks + 1))
for i in 1 2 3 4 5 6; do
    "$BIN" --data "$T/small" --epochs 50 --out "$T/kill" --force --quiet &
    pid=$!
    sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)5"
    kill -KILL $pid
    wait $pid 2>/dev/null
    if [ -e "$T/kill/checkpoint.gan" ]; then
        "$BIN" --data "$T/small" --epochs 1 --resume "$T/kill/checkpoint.gan" --out "$T/probe" \
            --quiet 2>"$T/err" || fail "checkpoint after SIGKILL $i: $(cat "$T/err")"
        rm -rf "$T/probe"
    fi
done

# Stopping always works, also where there is no step to stop after: blocked
# in open on a FIFO as the data file (SIGTERM, SIGINT), blocked writing --log -
# into a pipe nobody reads; each ends within a second with its usual status.
checks=$((checks + 1))
mkdir "$T/fifo"
mkfifo "$T/fifo/train-images-idx3-ubyte"
for s in TERM:143 INT:130; do
    "$BIN" --data "$T/fifo" --out "$T/fifo-run" --force 2>"$T/err" &
    pid=$!
    sleep 0.5
    signal_wait "${s%:*}" $pid
    [ $rc -eq "${s#*:}" ] && [ "$ms" -lt 1000 ] || fail "SIG${s%:*} while blocked in open: exit $rc after $ms ms: $(cat "$T/err")"
done
checks=$((checks + 1))
mkfifo "$T/pipe"
sleep 120 <"$T/pipe" & # opens the pipe and never reads
reader=$!
"$BIN" --data "$SRC/tests/fixtures/v1" --out "$T/blocked" --epochs 100000 --hidden 2 --z-dim 1 --grid 1 \
    --eval-every 0 --threads 1 --log - >"$T/pipe" 2>"$T/err" &
pid=$!
prev=""
for i in $(seq 1 120); do # until the checkpoint stops changing: blocked writing
    sleep 0.5
    cur=$(stat -c %y "$T/blocked/checkpoint.gan" 2>/dev/null)
    [ -n "$cur" ] && [ "$cur" = "$prev" ] && break
    prev=$cur
done
signal_wait TERM $pid
[ $rc -eq 143 ] && [ "$ms" -lt 1000 ] || fail "SIGTERM while blocked writing: exit $rc after $ms ms: $(cat "$T/err")"
kill $reader 2>/dev/null
"$BIN" --data "$SRC/tests/fixtures/v1" --resume "$T/blocked/checkpoint.gan" --out "$T/blocked-probe" --epochs 1 \
    2>"$T/err"
[ $? -eq 0 ] && grep -q "already at epoch" "$T/err" || fail "checkpoint after a blocked write: $(cat "$T/err")"
# --log - into a pipe whose reader has gone: exit 141, the epoch's checkpoint kept
checks=$((checks + 1))
mkfifo "$T/pipe2"
head -n 2 <"$T/pipe2" >"$T/head.out" &
"$BIN" --data "$SRC/data/mnist" --limit 640 --epochs 5 --eval-every 0 --out "$T/epipe" --log - >"$T/pipe2" 2>"$T/err"
rc=$?
[ $rc -eq 141 ] || fail "reader gone: exit $rc, want 141: $(cat "$T/err")"
grep -q "standard output closed by its reader after epoch 2; checkpoint $T/epipe/checkpoint.gan" "$T/err" ||
    fail "reader gone: $(cat "$T/err")"
"$BIN" --data "$SRC/data/mnist" --resume "$T/epipe/checkpoint.gan" --epochs 2 2>"$T/err"
[ $? -eq 0 ] && grep -q "already at epoch 2 of 2" "$T/err" || fail "checkpoint after EPIPE: $(cat "$T/err")"

# Sampling from a checkpoint: a PNG grid and an IDX3 file of N images.
checks=$((checks + 1))
"$BIN" sample --checkpoint "$T/whole/checkpoint.gan" --count 16 --png "$T/s.png" --idx "$T/s.idx" \
    2>"$T/err" || fail "sample: $(cat "$T/err")"
is_png "$T/s.png" || fail "sample: not a PNG"
[ "$(head -c 16 "$T/s.idx" | od -An -tx1 | tr -d ' ')" = "00000803000000100000001c0000001c" ] ||
    [ "$(head -c 16 "$T/s.idx" | od -An -tx1 | tr -d ' \n')" = "00000803000000100000001c0000001c" ] ||
    fail "sample: IDX header $(head -c 16 "$T/s.idx" | od -An -tx1)"
[ "$(wc -c <"$T/s.idx")" -eq $((16 + 16 * 784)) ] || fail "sample: IDX size"
"$BIN" sample --checkpoint "$T/whole/checkpoint.gan" --count 3 --interpolate 5 --png "$T/i.png" \
    2>/dev/null || fail "sample --interpolate"
"$BIN" sample --checkpoint "$T/whole/checkpoint.gan" --count 4 --seed 9 --idx "$T/s2.idx" 2>/dev/null
"$BIN" sample --checkpoint "$T/whole/checkpoint.gan" --count 4 --seed 9 --idx "$T/s3.idx" 2>/dev/null
cmp -s "$T/s2.idx" "$T/s3.idx" || fail "sample: one seed, other samples"
usage_error "give --png FILE and/or --idx FILE" sample --checkpoint "$T/whole/checkpoint.gan"
usage_error "--checkpoint FILE (or --weights G.safetensors) is required" sample --png "$T/x.png"
usage_error "--interpolate: '1'" sample --checkpoint x --png y --interpolate 1
"$BIN" sample --checkpoint "$T/s.png" --png "$T/x.png" 2>"$T/err"
[ $? -eq 1 ] && grep -q "not a gan-train checkpoint" "$T/err" || fail "sample of a PNG: $(cat "$T/err")"

# Interop: export writes safetensors under the seed's names; sampling from
# them equals sampling from the checkpoint; a PyTorch generator's file and its
# z (tests/fixtures, from scripts/make-reference.py) give torch's images to the
# grey level; --init-from starts from given weights, and refuses other shapes.
checks=$((checks + 1))
"$BIN" export --checkpoint "$T/whole/checkpoint.gan" --out "$T/st" 2>"$T/err" || fail "export: $(cat "$T/err")"
[ "$(head -c 8 "$T/st/G.safetensors" | od -An -tu1 | tr -s ' ' | sed 's/^ //')" != "" ] || fail "no G.safetensors"
grep -q '"main.4.bias"' "$T/st/G.safetensors" && grep -q '"activation":"leaky_relu"' "$T/st/D.safetensors" ||
    fail "export: names or metadata"
"$BIN" export --checkpoint "$T/whole/checkpoint.gan" --out "$T/st" 2>"$T/err"
[ $? -eq 1 ] && grep -q "holds G.safetensors or D.safetensors; choose another --out or add --force" "$T/err" ||
    fail "export over files: $(cat "$T/err")"
"$BIN" sample --checkpoint "$T/whole/checkpoint.gan" --count 5 --idx "$T/c.idx" 2>/dev/null
"$BIN" sample --weights "$T/st/G.safetensors" --count 5 --idx "$T/w.idx" 2>/dev/null
cmp -s "$T/c.idx" "$T/w.idx" || fail "sample --weights differs from the checkpoint's samples"
checks=$((checks + 1))
"$BIN" sample --weights "$SRC/tests/fixtures/torch-G.safetensors" --z "$SRC/tests/fixtures/torch-z.idx" \
    --idx "$T/torch.idx" 2>"$T/err" || fail "sample of the PyTorch generator: $(cat "$T/err")"
cmp -s "$T/torch.idx" "$SRC/tests/fixtures/torch-Gz.idx" || fail "PyTorch's G(z) not reproduced to the grey level"
"$BIN" sample --weights "$SRC/tests/fixtures/torch-G.safetensors" --z "$SRC/tests/fixtures/torch-z.idx" \
    --interpolate 4 --png "$T/walk.png" 2>/dev/null || fail "--z with --interpolate"
"$BIN" sample --weights "$SRC/tests/fixtures/torch-G.safetensors" --z "$SRC/tests/fixtures/torch-Gz.idx" \
    --idx "$T/x.idx" 2>"$T/err"
[ $? -eq 1 ] && grep -q "not an IDX float32 matrix" "$T/err" || fail "--z of images: $(cat "$T/err")"
"$BIN" sample --weights "$T/st/G.safetensors" --z "$SRC/tests/fixtures/torch-z.idx" --idx "$T/x.idx" 2>"$T/err"
[ $? -eq 1 ] && grep -q "latent vectors of 16 values; the generator takes 100" "$T/err" || fail "--z size: $(cat "$T/err")"
usage_error "give --checkpoint FILE or --weights G.safetensors, not both" sample --checkpoint a --weights b --png c
checks=$((checks + 1))
"$BIN" --data "$T/small" --epochs 1 --batch-size 256 --out "$T/init" --init-from "$T/st" --threads 1 2>"$T/err" ||
    fail "--init-from: $(cat "$T/err")"
grep -q "^init:     G and D from $T/st/G.safetensors and D.safetensors; Adam afresh$" "$T/err" || fail "no init line: $(cat "$T/err")"
"$BIN" --data "$T/small" --epochs 1 --out "$T/init2" --init-from "$T/st" --hidden 32 2>"$T/err"
[ $? -eq 1 ] && grep -q "G.safetensors: tensor main.0.weight has shape \[256, 100\], this model needs \[32, 100\]" "$T/err" ||
    fail "--init-from, other shape: $(cat "$T/err")"
usage_error "--init-from starts a new run, --resume continues one" --init-from "$T/st" --resume x.gan
# weights that are not numbers are refused where they enter, naming the tensor:
# the last float of G.safetensors (main.4.bias) made a NaN
checks=$((checks + 1))
mkdir -p "$T/nan" && cp "$T/st/G.safetensors" "$T/st/D.safetensors" "$T/nan/"
size=$(wc -c <"$T/nan/G.safetensors")
printf '\000\000\300\177' | dd of="$T/nan/G.safetensors" bs=1 seek=$((size - 4)) conv=notrunc 2>/dev/null
for cmd in "sample --weights $T/nan/G.safetensors --count 2 --idx $T/nan.idx" \
    "--data $T/small --epochs 1 --out $T/nanrun --init-from $T/nan"; do
    # shellcheck disable=SC2086 # the words of each command
    "$BIN" $cmd 2>"$T/err"
    [ $? -eq 1 ] && grep -q "G.safetensors: tensor main.4.bias holds a value that is not finite (NaN or Inf) at index 783; refusing these weights" "$T/err" ||
        fail "NaN weights ($cmd): $(cat "$T/err")"
done

test_end cli.sh
