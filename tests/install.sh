#!/bin/sh
# install.sh BIN BUILD SRC: `cmake --install` puts gan-train and its manual in
# place under a prefix; the manual names every option of --help (of the
# command and of sample and eval) and --help every option of the manual.
set -u
BIN=$1
BUILD=$2
SRC=$3
. "$SRC/tests/lib.sh"
test_begin install
MAN=$SRC/src/gan-train.1

checks=$((checks + 1))
cmake --install "$BUILD" --prefix "$T/prefix" >"$T/log" 2>&1 || fail "cmake --install: $(cat "$T/log")"
[ -x "$T/prefix/bin/gan-train" ] || fail "no bin/gan-train: $(cat "$T/log")"
[ -s "$T/prefix/share/man/man1/gan-train.1" ] || fail "no share/man/man1/gan-train.1: $(cat "$T/log")"
"$T/prefix/bin/gan-train" --version >/dev/null || fail "the installed gan-train does not run"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
    t10k-labels-idx1-ubyte.gz PROVENANCE.md; do
    cmp -s "$T/prefix/share/gan-train/mnist/$f" "$SRC/data/mnist/$f" || fail "share/gan-train/mnist/$f not installed"
done

# the installed command trains on its embedded data from any folder, and
# says so; a ./data/mnist where it runs comes first. (The installed files,
# checked above, are replaced by a slice of 256 digits: tests never load the
# whole MNIST under the sanitizers.)
checks=$((checks + 1))
rm "$T/prefix/share/gan-train/mnist/"*-ubyte.gz
mnist_slice 256 "$T/prefix/share/gan-train/mnist"
mkdir -p "$T/home/data"
(cd "$T/home" && "$T/prefix/bin/gan-train" --epochs 1 --eval-every 0 --out run --threads 1 \
    2>"$T/err") || fail "installed gan-train from another folder: $(cat "$T/err")"
grep -q "^data:     the installed copy of MNIST (no ./data/mnist here; --data DIR for another)$" "$T/err" &&
    grep -q "^data:     $T/prefix/share/gan-train/mnist: 256 training images of 28 x 28, scaled" "$T/err" ||
    fail "no banner line naming the installed data: $(cat "$T/err")"
[ -s "$T/home/run/samples/epoch-001.png" ] || fail "no grid from the installed data"
mkdir -p "$T/home/data/mnist" && cp "$T/prefix/share/gan-train/mnist/train-images-idx3-ubyte" "$T/home/data/mnist/"
(cd "$T/home" && "$T/prefix/bin/gan-train" --epochs 1 --eval-every 0 --out run2 --threads 1 \
    2>"$T/err") || fail "installed gan-train with ./data/mnist: $(cat "$T/err")"
grep -q "^data:     data/mnist: 256 training images" "$T/err" && ! grep -q "installed copy" "$T/err" ||
    fail "./data/mnist does not come first: $(cat "$T/err")"
rm -rf "$T/prefix/share/gan-train" "$T/home/data"
(cd "$T/home" && "$T/prefix/bin/gan-train" --epochs 1 --out run3 2>"$T/err")
[ $? -eq 1 ] && grep -q "data/mnist: data folder not found: No such file or directory (no installed copy either; --data DIR names a data folder)" "$T/err" ||
    fail "no data anywhere: $(cat "$T/err")"

# the options of each --help, and those of the manual ("\-\-name" in roff)
checks=$((checks + 1))
{ "$BIN" --help; "$BIN" sample --help; "$BIN" eval --help; "$BIN" export --help; "$BIN" import --help; } 2>&1 |
    grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/help"
sed 's/\\-/-/g' "$MAN" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/man"
missing=$(comm -23 "$T/help" "$T/man" | tr '\n' ' ')
extra=$(comm -13 "$T/help" "$T/man" | tr '\n' ' ')
[ -z "$missing" ] || fail "options of --help missing from the manual: $missing"
[ -z "$extra" ] || fail "options of the manual missing from --help: $extra"
[ "$(wc -l <"$T/help")" -ge 35 ] || fail "too few options found in --help: $(cat "$T/help")"
# the sections a manual has, and it renders without warnings where man is installed
checks=$((checks + 1))
for sec in NAME SYNOPSIS DESCRIPTION OPTIONS '"SAMPLE OPTIONS"' '"EVAL OPTIONS"' '"EXPORT OPTIONS"' '"IMPORT OPTIONS"' FILES \
    '"EXIT STATUS"' EXAMPLES; do
    grep -q "^\.SH $sec" "$MAN" || fail "the manual has no section $sec"
done
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$MAN" 2>"$T/groff" && [ ! -s "$T/groff" ] || fail "groff: $(cat "$T/groff")"
fi

test_end install.sh
