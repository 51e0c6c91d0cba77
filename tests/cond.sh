#!/bin/sh
# cond.sh BIN SRC: conditional training as a user meets it (issue 19): the
# forms refused without --conditional or with bad values, a folder without
# labels refused, classes.txt's names in the banner (and one that does not
# fit the labels refused), a grid with a row per class, resume to the same
# losses (another form refused), sample --class/--class-name/--labels, export
# with the classes in the metadata, PyTorch's conditional G reproduced to the
# grey level, --init-from of conditional weights. 640 digits, no evaluation.
set -u
BIN=$1
SRC=$2
. "$SRC/tests/lib.sh"
test_begin cond
mnist_slice 640 "$T/d" labels
mnist_slice 64 "$T/nolab"

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk
png_size() {
    echo "$(od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }')"
}
# bytes FILE SKIP N: N bytes of FILE from SKIP as hex
bytes() { od -An -tx1 -j"$2" -N"$3" "$1" | tr -d ' \n'; }

usage_error "--cond-d: a form of conditional training; add --conditional" --cond-d concat
usage_error "--cond-g: a form of conditional training; add --conditional" --cond-g all
usage_error "--cond-d: 'proj' is not concat, projection or acgan" --conditional --cond-d proj
usage_error "--cond-d: 'concat+concat'" --conditional --cond-d concat+concat
usage_error "--cond-g: 'first' is not input or all" --conditional --cond-g first
usage_error "--ac-weight: the auxiliary head's weight; --cond-d has no acgan" --conditional --ac-weight 2
usage_error "--ac-weight: '0'" --conditional --cond-d acgan --ac-weight 0

checks=$((checks + 1))
"$BIN" --data "$T/nolab" --conditional --epochs 1 --out "$T/x" 2>"$T/err"
[ $? -eq 1 ] && grep -q "no labels (train-labels-idx1-ubyte): a conditional run needs them" "$T/err" &&
    [ ! -e "$T/x" ] || fail "no labels: $(cat "$T/err")"
mkdir "$T/d9" && cp "$T/d/"*ubyte "$T/d9/" && printf '%s\n' a b c d e f g h i >"$T/d9/classes.txt"
"$BIN" --data "$T/d9" --conditional --epochs 1 --out "$T/x" 2>"$T/err"
[ $? -eq 1 ] && grep -q "d9/classes.txt: 9 classes, but the labels go up to 9" "$T/err" ||
    fail "classes.txt of 9: $(cat "$T/err")"
# two classes of one name: `sample --class NAME` could not tell them apart
checks=$((checks + 1))
printf '%s\n' a b c d e f g h b j >"$T/d9/classes.txt"
"$BIN" --data "$T/d9" --conditional --epochs 1 --out "$T/x" 2>"$T/err"
[ $? -eq 1 ] && grep -q "d9/classes.txt: line 9: the name of line 2 again" "$T/err" && [ ! -e "$T/x" ] ||
    fail "a name twice: $(cat "$T/err")"

# a run with names, every layer of G and the head beside concat
checks=$((checks + 1))
printf '%s\n' zero one two three four five six seven eight nine >"$T/d/classes.txt"
common="--data $T/d --conditional --cond-d concat+acgan --cond-g all --hidden 32 --eval-every 0"
# shellcheck disable=SC2086 # the words of $common
"$BIN" $common --epochs 2 --out "$T/run" 2>"$T/err" || fail "conditional run: $(cat "$T/err")"
grep -q "^recipe:   default, --hidden 32 --conditional --cond-d concat+acgan --cond-g all$" "$T/err" &&
    grep -q "^classes:  10 (zero ... nine); G reads the one-hot at every layer, D by concat+acgan (the head's cross-entropy weighted 1); fake rows ask for uniform classes$" "$T/err" ||
    fail "conditional banner: $(cat "$T/err")"
[ "$(png_size "$T/run/samples/epoch-002.png")" = "122 302" ] ||
    fail "grid: $(png_size "$T/run/samples/epoch-002.png"), want 4 columns x 10 rows"
[ "$(png_size "$T/run/progress.png")" = "302 62" ] ||
    fail "progress.png: $(png_size "$T/run/progress.png"), want 10 a row x 2 epochs"
# resumed after its first epoch: the same losses; another form refused
checks=$((checks + 1))
# shellcheck disable=SC2086
"$BIN" $common --epochs 1 --out "$T/half" --threads 1 2>/dev/null &&
    "$BIN" --data "$T/d" --resume "$T/half/checkpoint.gan" --epochs 2 2>/dev/null || fail "resume"
cut -d, -f1-6 "$T/run/losses.csv" >"$T/a.csv"
cut -d, -f1-6 "$T/half/losses.csv" | cmp -s - "$T/a.csv" || fail "resumed: other losses"
cmp -s "$T/run/samples/epoch-002.png" "$T/half/samples/epoch-002.png" || fail "resumed: other grid"
"$BIN" --data "$T/d" --resume "$T/half/checkpoint.gan" --epochs 3 --cond-d concat 2>"$T/err"
[ $? -eq 1 ] && grep -q "cond-d differs from the checkpoint's" "$T/err" || fail "resume, other form: $(cat "$T/err")"

# sample: a row per class asked, the labels beside
checks=$((checks + 1))
"$BIN" sample --checkpoint "$T/run/checkpoint.gan" --class 3,7 --count 6 --idx "$T/s.idx" \
    --labels "$T/s.lab" --png "$T/s.png" 2>/dev/null || fail "sample --class 3,7"
[ "$(bytes "$T/s.lab" 0 14)" = "0000080100000006030303070707" ] || fail "labels: $(bytes "$T/s.lab" 0 14)"
[ "$(png_size "$T/s.png")" = "92 62" ] || fail "sample grid: $(png_size "$T/s.png")"
"$BIN" sample --checkpoint "$T/run/checkpoint.gan" --class-name seven --count 2 --labels "$T/7.lab" \
    --idx "$T/7.idx" 2>/dev/null && [ "$(bytes "$T/7.lab" 8 2)" = "0707" ] || fail "--class-name seven"
"$BIN" sample --checkpoint "$T/run/checkpoint.gan" --class-name sept --idx "$T/x.idx" 2>"$T/err"
[ $? -eq 1 ] && grep -q "'sept' is not a class of .*(its 10 classes: 'zero' ... 'nine')" "$T/err" ||
    fail "--class-name sept: $(cat "$T/err")"
"$BIN" --data "$T/d" --epochs 1 --hidden 32 --eval-every 0 --out "$T/plain" 2>/dev/null
"$BIN" sample --checkpoint "$T/plain/checkpoint.gan" --class 1 --idx "$T/x.idx" 2>"$T/err"
[ $? -eq 1 ] && grep -q "its generator is not conditional" "$T/err" || fail "--class, unconditional: $(cat "$T/err")"

# export: the forms and names in the metadata; the weights sample as the
# checkpoint does; a new run starts from them (an unconditional one refuses)
checks=$((checks + 1))
"$BIN" export --checkpoint "$T/run/checkpoint.gan" --out "$T/st" 2>/dev/null || fail "export"
grep -q '"conditional":"true","classes":"10","class_names":"zero\\none\\ntwo' "$T/st/G.safetensors" &&
    grep -q '"cond_g":"all"' "$T/st/G.safetensors" && grep -q '"cond_d":"concat+acgan"' "$T/st/D.safetensors" &&
    grep -q '"aux.weight":{"dtype":"F32","shape":\[10,32\]' "$T/st/D.safetensors" &&
    grep -q '"main.2.weight":{"dtype":"F32","shape":\[32,42\]' "$T/st/G.safetensors" ||
    fail "export metadata: $(head -c 1200 "$T/st/D.safetensors")"
"$BIN" sample --weights "$T/st/G.safetensors" --class 2 --count 4 --idx "$T/w.idx" 2>/dev/null &&
    "$BIN" sample --checkpoint "$T/run/checkpoint.gan" --class 2 --count 4 --idx "$T/c.idx" 2>/dev/null &&
    cmp -s "$T/w.idx" "$T/c.idx" || fail "the exported G samples otherwise"
# shellcheck disable=SC2086
"$BIN" $common --epochs 1 --out "$T/init" --init-from "$T/st" 2>"$T/err" || fail "--init-from: $(cat "$T/err")"
"$BIN" --data "$T/d" --epochs 1 --hidden 32 --eval-every 0 --out "$T/init2" --init-from "$T/st" 2>"$T/err"
[ $? -eq 1 ] && grep -q "G.safetensors: its network reads 10 classes" "$T/err" || fail "--init-from, unconditional: $(cat "$T/err")"
# PyTorch's conditional G (the one-hot at every layer), classes 3, 3, 3, 7, 7, 7
"$BIN" sample --weights "$SRC/tests/fixtures/torch-cG.safetensors" --z "$SRC/tests/fixtures/torch-z.idx" \
    --class 3,7 --idx "$T/torch.idx" 2>/dev/null &&
    cmp -s "$T/torch.idx" "$SRC/tests/fixtures/torch-cGz.idx" || fail "PyTorch's G(z, y) not reproduced to the grey level"
"$BIN" sample --weights "$SRC/tests/fixtures/torch-cG.safetensors" --z "$SRC/tests/fixtures/torch-z.idx" \
    --class 1,2,3,4 --idx "$T/x.idx" 2>"$T/err"
[ $? -eq 1 ] && grep -q "6 vectors for 4 classes asked; they must split evenly" "$T/err" || fail "uneven: $(cat "$T/err")"

test_end cond.sh
