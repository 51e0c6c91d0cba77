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

# the options of each --help, and those of the manual ("\-\-name" in roff)
checks=$((checks + 1))
{ "$BIN" --help; "$BIN" sample --help; "$BIN" eval --help; "$BIN" export --help; } 2>&1 |
    grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/help"
sed 's/\\-/-/g' "$MAN" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/man"
missing=$(comm -23 "$T/help" "$T/man" | tr '\n' ' ')
extra=$(comm -13 "$T/help" "$T/man" | tr '\n' ' ')
[ -z "$missing" ] || fail "options of --help missing from the manual: $missing"
[ -z "$extra" ] || fail "options of the manual missing from --help: $extra"
[ "$(wc -l <"$T/help")" -ge 35 ] || fail "too few options found in --help: $(cat "$T/help")"
# the sections a manual has, and it renders without warnings where man is installed
checks=$((checks + 1))
for sec in NAME SYNOPSIS DESCRIPTION OPTIONS '"SAMPLE OPTIONS"' '"EVAL OPTIONS"' '"EXPORT OPTIONS"' FILES \
    '"EXIT STATUS"' EXAMPLES; do
    grep -q "^\.SH $sec" "$MAN" || fail "the manual has no section $sec"
done
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$MAN" 2>"$T/groff" && [ ! -s "$T/groff" ] || fail "groff: $(cat "$T/groff")"
fi

test_end install.sh
