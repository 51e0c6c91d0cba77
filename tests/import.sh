#!/bin/sh
# import.sh BIN SRC IMGTOOL: `gan-train import` as a user meets it: MNIST
# digits as PNG class folders come back to their own bytes and labels; every
# kind of PNG and JPEG imports; bad files are skipped and named (or fatal with
# --strict); FIFOs and link loops do not hang the walk; the split is
# stratified and reproducible; an interrupted import leaves nothing; a colour
# set trains and draws colour grids with its channels in order.
set -u
BIN=$1
SRC=$2
IMG=$3
. "$SRC/tests/lib.sh"
test_begin import

usage_error() { # MESSAGE ARGS...: exit 2 and the message
    want=$1
    shift
    checks=$((checks + 1))
    "$BIN" "$@" >/dev/null 2>"$T/uerr"
    rc=$?
    [ $rc -eq 2 ] && grep -qF -- "$want" "$T/uerr" || fail "import $*: exit $rc, $(cat "$T/uerr")"
}

# the first 300 digits (a raw slice of them) as PNGs in class folders, in
# name order: exactly back
checks=$((checks + 1))
mnist_slice 300 "$T/mnist300" labels
"$IMG" mnist "$T/mnist300" 300 "$T/digits" || fail "imgtool mnist"
"$BIN" import "$T/digits" --out "$T/byname" --order name --test-fraction 0 2>"$T/err" ||
    fail "import --order name: $(cat "$T/err")"
"$IMG" verify "$T/byname" "$T/mnist300" name >"$T/out" 2>&1 ||
    fail "name order round trip: $(cat "$T/out")"
grep -q "^verified 300 + 0 images, 0 wrong$" "$T/out" || fail "round trip count: $(cat "$T/out")"
[ "$(tr '\n' ' ' <"$T/byname/classes.txt")" = "0 1 2 3 4 5 6 7 8 9 " ] || fail "classes.txt: $(cat "$T/byname/classes.txt")"
[ ! -e "$T/byname/t10k-images-idx3-ubyte.gz" ] || fail "a t10k split with --test-fraction 0"
# gzip without a time stamp (bytes 5-8), and MNIST's IDX header
[ "$(od -An -tx1 -j4 -N4 "$T/byname/train-images-idx3-ubyte.gz" | tr -d ' \n')" = "00000000" ] ||
    fail "a time stamp in the gzip header"
[ "$(gzip -dc "$T/byname/train-images-idx3-ubyte.gz" | od -An -tx1 -N16 | tr -d ' \n')" = \
    "000008030000012c0000001c0000001c" ] || fail "IDX header of the grey set"

# the default order: shuffled by the seed, every index what import.txt names;
# the split stratified (round(0.1 n) of each class) and reproducible
checks=$((checks + 1))
"$BIN" import "$T/digits" --out "$T/shuf" 2>"$T/err" || fail "import: $(cat "$T/err")"
"$IMG" verify "$T/shuf" "$T/mnist300" >"$T/out" 2>&1 || fail "shuffled round trip: $(cat "$T/out")"
grep -q "^verified 271 + 29 images, 0 wrong$" "$T/out" || fail "shuffled counts: $(cat "$T/out")"
grep "^class " "$T/shuf/import.txt" | sed 's/.*: \([0-9]*\) train, \([0-9]*\) t10k/\1 \2/' |
    while read -r a b; do
        [ "$b" -eq $(((a + b + 5) / 10)) ] || echo "class of $((a + b)) holds out $b"
    done >"$T/strat"
[ ! -s "$T/strat" ] || fail "not stratified: $(cat "$T/strat")"
[ "$(grep -c "^train	" "$T/shuf/import.txt")" -eq 271 ] || fail "import.txt index lines"
grep -q "^classes:    0 = 0: 31 train, 3 t10k$" "$T/err" || fail "no count per class: $(cat "$T/err")"
"$BIN" import "$T/digits" --out "$T/shuf2" --quiet 2>"$T/err" || fail "second import: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "--quiet printed: $(cat "$T/err")"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
    t10k-labels-idx1-ubyte.gz classes.txt import.txt; do
    cmp -s "$T/shuf/$f" "$T/shuf2/$f" || fail "$f differs between two imports of the same input"
done
# the evaluation takes the imported t10k split as its reference
"$BIN" --data "$T/shuf" --epochs 1 --eval-count 100 --out "$T/shufrun" --cache "$T/cache" --threads 1 2>"$T/err" ||
    fail "training on an imported set: $(cat "$T/err")"
grep -q "^eval:     every 1 epoch, 100 samples against the test split (29 images)" "$T/err" ||
    fail "the evaluation does not use the imported t10k split: $(grep eval "$T/err")"
"$BIN" import "$T/digits" --out "$T/seed2" --seed 2 --quiet
cmp -s "$T/shuf/train-labels-idx1-ubyte.gz" "$T/seed2/train-labels-idx1-ubyte.gz" && fail "--seed 2 gives the same order"
# the shuffle interleaves the classes: the first 30 labels are not one class
[ "$(gzip -dc "$T/shuf/train-labels-idx1-ubyte.gz" | tail -c +9 | head -c 30 | od -An -tu1 | tr -s ' ' '\n' | sort -u | grep -c .)" -ge 5 ] ||
    fail "the shuffled labels are not interleaved"

# a data set in DIR: refused, or replaced with --force
checks=$((checks + 1))
"$BIN" import "$T/digits" --out "$T/shuf" 2>"$T/err"
[ $? -eq 1 ] && grep -q "holds a data set (train-images-idx3-ubyte.gz); choose another --out or add --force" "$T/err" ||
    fail "over a data set: $(cat "$T/err")"
"$BIN" import "$T/digits" --out "$T/shuf" --force --order name --quiet || fail "--force"
cmp -s "$T/shuf/import.txt" "$T/byname/import.txt" && fail "--force did not replace the set"
[ -z "$(ls -A "$T/shuf" | grep '^\.import')" ] || fail "a temporary folder left: $(ls -A "$T/shuf")"

# every kind of PNG and JPEG, of odd sizes, in colour at 32 x 32
checks=$((checks + 1))
mkdir -p "$T/kinds" "$T/mixed"
"$IMG" kinds "$T/kinds/misc" || fail "imgtool kinds"
"$BIN" import "$T/kinds" --out "$T/colour" --size 32x32 --channels 3 --fit crop --test-fraction 0 2>"$T/err" ||
    fail "import of every kind: $(cat "$T/err")"
grep -q "^import:   10 images of 32 x 32, colour (R, G, B)" "$T/err" && grep -q ", 0 skipped$" "$T/err" ||
    fail "not every kind imported: $(cat "$T/err")"
[ "$(gzip -dc "$T/colour/train-images-idx4-ubyte.gz" | od -An -tx1 -N20 | tr -d ' \n')" = \
    "000008040000000a000000200000002000000003" ] || fail "IDX header of the colour set"
[ "$(gzip -dc "$T/colour/train-images-idx4-ubyte.gz" | wc -c)" -eq $((20 + 10 * 32 * 32 * 3)) ] ||
    fail "colour set size"
for fit in pad stretch; do
    "$BIN" import "$T/kinds" --out "$T/fit-$fit" --size 20x30 --fit $fit --quiet || fail "--fit $fit"
done

# files that are no image: each skipped and named, on the terminal and in
# import.txt; with --strict the first is fatal and nothing is written
checks=$((checks + 1))
"$IMG" bad "$T/mixed/bad" && cp -r "$T/kinds/misc" "$T/mixed/good" || fail "imgtool bad"
"$BIN" import "$T/mixed" --out "$T/mixedset" 2>"$T/err" || fail "import with bad files: $(cat "$T/err")"
for want in "truncated.png: PNG: truncated file" "badcrc.png: PNG: IDAT: CRC error" \
    "corrupt.png: PNG: " "bomb.png: PNG: 30000 x 30000 pixels, over the limit of 67108864 pixels (refused before decoding)" \
    "empty.png: empty file" "text.png: not a PNG or JPEG file" "garbage.jpg: JPEG: " \
    "truncated.jpg: JPEG: Premature end of JPEG file"; do
    grep -qF "skipped $T/mixed/bad/$want" "$T/err" || fail "not named on the terminal: $want"
    grep -qF "skipped	$T/mixed/bad/$(echo "$want" | sed 's/: /	/')" "$T/mixedset/import.txt" || fail "not in import.txt: $want"
done
grep -q "10 train, 0 t10k\|9 train, 1 t10k" "$T/err" && grep -q ", 8 skipped$" "$T/err" || fail "mixed counts: $(cat "$T/err")"
"$BIN" import "$T/mixed" --out "$T/strict" --strict 2>"$T/err"
[ $? -eq 1 ] && grep -q "(--strict)$" "$T/err" && [ ! -e "$T/strict" ] || fail "--strict: $(cat "$T/err"); $(ls -A "$T/strict" 2>&1)"
"$BIN" import "$T/mixed/bad" --out "$T/none" 2>"$T/err"
[ $? -eq 1 ] && grep -q "no image could be imported (8 files skipped)" "$T/err" && [ ! -e "$T/none" ] ||
    fail "only bad files: $(cat "$T/err")"

# a FIFO, a link loop and a link to the source itself: skipped, no hang
checks=$((checks + 1))
mkdir -p "$T/odd/a/deep" "$T/odd/b"
cp "$T/digits/3/00007.png" "$T/odd/a/deep/x.png"
cp "$T/digits/3/00007.png" "$T/odd/b/y.png"
mkfifo "$T/odd/a/pipe.png"
ln -s .. "$T/odd/a/deep/up"
ln -s "$T/odd" "$T/odd/b/top"
ln -s loop2 "$T/odd/b/loop1" && ln -s loop1 "$T/odd/b/loop2"
timeout 60 "$BIN" import "$T/odd" --out "$T/oddset" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || fail "odd tree: exit $rc, $(cat "$T/err")"
grep -q "skipped $T/odd/a/pipe.png: a FIFO$" "$T/err" || fail "FIFO not named: $(cat "$T/err")"
grep -q "skipped $T/odd/a/deep/up: a folder walked already" "$T/err" || fail "loop not named: $(cat "$T/err")"
grep -q "skipped $T/odd/b/top: a folder walked already" "$T/err" || fail "link to the source: $(cat "$T/err")"
grep -q "skipped $T/odd/b/loop1: Too many levels of symbolic links" "$T/err" || fail "link loop: $(cat "$T/err")"
grep -q "^import:   2 images" "$T/err" || fail "odd tree count: $(cat "$T/err")"

# a class folder whose name cannot be a class's name (classes.txt): refused, on one line
checks=$((checks + 1))
long=$(printf 'c%.0s' $(seq 64))
mkdir -p "$T/badname/ok" "$T/badname/$long" && cp "$T/digits/1/00003.png" "$T/badname/ok/" &&
    cp "$T/digits/1/00003.png" "$T/badname/$long/"
"$BIN" import "$T/badname" --out "$T/badset" 2>"$T/err"
[ $? -eq 1 ] && [ ! -e "$T/badset" ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "badname/$(printf 'c%.0s' $(seq 63))...: a class folder's name is its class's name, 1 to 63 printable bytes, and this one is too long: rename it" "$T/err" ||
    fail "a class name too long: $(cat "$T/err")"
mv "$T/badname/$long" "$T/badname/$(printf 'tab\tname')"
"$BIN" import "$T/badname" --out "$T/badset" 2>"$T/err"
[ $? -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "badname/tab?name: .*this one has a control character: rename it" "$T/err" ||
    fail "a control character in a class name: $(cat "$T/err")"

# a source without subfolders: an unlabelled set, which trains; sources of both kinds: refused
checks=$((checks + 1))
mkdir -p "$T/flat" && cp "$T/digits/1/"*.png "$T/flat/"
"$BIN" import "$T/flat" --out "$T/flatset" --test-fraction 0 2>"$T/err" || fail "unlabelled: $(cat "$T/err")"
[ ! -e "$T/flatset/train-labels-idx1-ubyte.gz" ] && [ ! -e "$T/flatset/classes.txt" ] || fail "labels for an unlabelled set"
grep -q "^classes:  none (unlabelled" "$T/err" || fail "no unlabelled line: $(cat "$T/err")"
"$BIN" --data "$T/flatset" --epochs 1 --out "$T/flatrun" --threads 1 2>"$T/err" || fail "training on an unlabelled set: $(cat "$T/err")"
grep -q "^eval:     off: .*labels" "$T/err" || fail "eval on an unlabelled set: $(grep eval "$T/err")"
"$BIN" import "$T/flat" "$T/digits" --out "$T/both" 2>"$T/err"
[ $? -eq 1 ] && grep -q "has class folders and $T/flat has none" "$T/err" || fail "both kinds: $(cat "$T/err")"
"$BIN" import "$T/flat/$(ls "$T/flat" | head -n 1)" --out "$T/file" 2>"$T/err"
[ $? -eq 1 ] && grep -q "not a folder (import takes folders of images)" "$T/err" || fail "a file as SRC: $(cat "$T/err")"
usage_error "import: --out DIR is required" import "$T/flat"
usage_error "import: give at least one source folder (SRC...)" import --out x
usage_error "--size: '0x5' is not WxH with each side from 1 to 1024" import "$T/flat" --out x --size 0x5
usage_error "--size: '28' is not WxH" import "$T/flat" --out x --size 28
usage_error "--channels: '2' is not 1 (grey) or 3 (colour)" import "$T/flat" --out x --channels 2
usage_error "--fit: 'zoom' is not pad, crop or stretch" import "$T/flat" --out x --fit zoom
usage_error "--order: 'random' is not shuffle or name" import "$T/flat" --out x --order random
usage_error "--test-fraction: '1' is not a number in [0, 1)" import "$T/flat" --out x --test-fraction 1

# a colour set trains: one of red discs, one of blue discs (16 x 16), 20
# epochs each; their grids and timelines are RGB PNGs whose lit pixels are
# red, or blue (means over the channels); sample, export and resume follow
checks=$((checks + 1))
"$IMG" discs "$T/discs" 300 16 || fail "imgtool discs"
for c in red blue; do
    mkdir -p "$T/only-$c" && cp -r "$T/discs/$c" "$T/only-$c/"
    "$BIN" import "$T/only-$c" --out "$T/set-$c" --size 16x16 --channels 3 --quiet || fail "import $c discs"
    "$BIN" --data "$T/set-$c" --epochs 20 --out "$T/run-$c" --threads 2 --eval-every 0 2>"$T/err" ||
        fail "training on $c discs: $(cat "$T/err")"
    grep -q "^data:     $T/set-$c: 270 training images of 16 x 16 colour (R, G, B), scaled to \[-1, 1\]$" "$T/err" &&
        grep -q "model:    G 100-256-256-768 .* D 768-256-256-1" "$T/err" || fail "colour banner: $(head -n 5 "$T/err")"
    for png in "$T/run-$c/samples/epoch-020.png" "$T/run-$c/progress.png"; do
        [ "$(od -An -tu1 -j25 -N1 "$png" | tr -d ' ')" = 2 ] || fail "$png is not an RGB PNG"
    done
    set -- $("$IMG" channels "$T/run-$c/samples/epoch-020.png")
    if [ $c = red ]; then hi=$1 lo1=$2 lo2=$3; else hi=$3 lo1=$1 lo2=$2; fi
    awk -v h="$hi" -v a="$lo1" -v b="$lo2" 'BEGIN { exit !(h > 2 * a && h > 2 * b) }' ||
        fail "$c discs drawn as R G B means $*"
done
"$BIN" sample --checkpoint "$T/run-blue/checkpoint.gan" --count 4 --png "$T/s.png" --idx "$T/s.idx" 2>/dev/null ||
    fail "sample of a colour checkpoint"
[ "$(od -An -tx1 -N20 "$T/s.idx" | tr -d ' \n')" = "0000080400000004000000100000001000000003" ] ||
    fail "sample --idx of colour is not N x 16 x 16 x 3"
[ "$(od -An -tu1 -j25 -N1 "$T/s.png" | tr -d ' ')" = 2 ] || fail "sample --png of colour is not RGB"
"$BIN" export --checkpoint "$T/run-blue/checkpoint.gan" --out "$T/cst" 2>/dev/null || fail "export of colour"
grep -q '"channels":"3"' "$T/cst/G.safetensors" && grep -q '"layout":"HWC"' "$T/cst/G.safetensors" ||
    fail "export metadata: no channels or layout"
"$BIN" sample --weights "$T/cst/G.safetensors" --count 4 --idx "$T/w.idx" 2>/dev/null
cmp -s "$T/s.idx" "$T/w.idx" || fail "colour sample --weights differs from the checkpoint's"
"$BIN" --resume "$T/run-blue/checkpoint.gan" --epochs 21 --data "$T/set-blue" --eval-every 0 --quiet ||
    fail "resume of a colour run"
[ -s "$T/run-blue/samples/epoch-021.png" ] || fail "no grid after the resumed epoch"
"$BIN" --resume "$T/run-blue/checkpoint.gan" --epochs 22 --data "$T/byname" --eval-every 0 2>"$T/err"
[ $? -eq 1 ] && grep -q "trained on 270 images of 16 x 16 x 3, $T/byname has 300 of 28 x 28 x 1" "$T/err" ||
    fail "resume on grey data: $(cat "$T/err")"

# the three colours as classes: imported with their folder names in
# classes.txt, trained conditionally, each drawn by name in its own colour
checks=$((checks + 1))
"$BIN" import "$T/discs" --out "$T/set-rgb" --size 16x16 --channels 3 --quiet || fail "import of three classes"
[ "$(tr '\n' ' ' <"$T/set-rgb/classes.txt")" = "blue green red " ] || fail "classes.txt: $(cat "$T/set-rgb/classes.txt")"
"$BIN" --data "$T/set-rgb" --conditional --epochs 20 --out "$T/run-rgb" --eval-every 0 2>"$T/err" ||
    fail "conditional training on the discs: $(cat "$T/err")"
grep -q "^classes:  3 (blue ... red)" "$T/err" || fail "conditional banner: $(cat "$T/err")"
for c in red green blue; do
    "$BIN" sample --checkpoint "$T/run-rgb/checkpoint.gan" --class-name $c --count 16 --png "$T/$c.png" 2>/dev/null ||
        fail "sample --class-name $c"
    set -- $("$IMG" channels "$T/$c.png")
    case $c in red) hi=$1 lo1=$2 lo2=$3 ;; green) hi=$2 lo1=$1 lo2=$3 ;; blue) hi=$3 lo1=$1 lo2=$2 ;; esac
    awk -v h="$hi" -v a="$lo1" -v b="$lo2" 'BEGIN { exit !(h > 1.5 * a && h > 1.5 * b) }' ||
        fail "--class-name $c drawn as R G B means $*"
done

# interrupted: exit 130, nothing of a data set and no temporary folder left;
# on a terminal a progress line
checks=$((checks + 1))
"$IMG" big "$T/big" 100 1200 || fail "imgtool big"
"$BIN" import "$T/big" --out "$T/bigset" 2>"$T/err" &
pid=$!
sleep 0.4
signal_wait INT $pid
[ $rc -eq 130 ] || fail "interrupted import: exit $rc, $(cat "$T/err")"
[ -z "$(ls -A "$T/bigset" 2>/dev/null)" ] || fail "an interrupted import left: $(ls -A "$T/bigset")"
if command -v script >/dev/null 2>&1; then
    script -qec "\"$BIN\" import \"$T/big\" --out \"$T/bigset2\"" "$T/tty.log" >/dev/null 2>&1 ||
        fail "import on a terminal: $(cat "$T/tty.log")"
    grep -q "$(printf '\r')  import [0-9]*/100 files  [0-9]* files/s  ETA [0-9:]*" "$T/tty.log" ||
        fail "no progress line on a terminal: $(cat -v "$T/tty.log")"
fi

test_end import.sh
