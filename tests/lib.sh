# lib.sh: what the shell tests share, sourced by each: test_begin NAME
# [CLEANUP] makes the scratch folder $T (removed at exit, after CLEANUP) and
# zeroes the counters; fail counts and reports a failed check; is_png FILE
# looks at the PNG signature; elapsed_ms START gives the milliseconds since
# START (from date +%s%N); signal_wait SIG PID sends signal SIG to PID,
# waits for it and sets $rc (its status) and $ms (how long it took); mnist_slice
# N DIR [labels] writes the first N images of $SRC/data/mnist (and their
# labels) into DIR as raw IDX files; usage_error WANT ARGS... runs $BIN ARGS
# and wants exit 2, no stdout and one stderr line "gan-train: ...WANT...";
# val KEY FILE prints KEY's value from a report of KEY=VALUE lines (gan-bench's);
# test_end NAME prints the count and is the exit status.

test_begin() {
    T=$(mktemp -d "/tmp/gan-test-$1-XXXXXX")
    # shellcheck disable=SC2064 # $T is expanded now, CLEANUP at exit
    trap "rm -rf '$T'; ${2:-:}" EXIT
    fails=0
    checks=0
}

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

val() { sed -n "s/^$1=//p" "$2"; }

is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

signal_wait() {
    signal_t0=$(date +%s%N)
    kill -"$1" "$2"
    wait "$2"
    rc=$?
    ms=$(elapsed_ms "$signal_t0")
}

# be32 N: N as 4 big-endian bytes
be32() {
    for bits in 24 16 8 0; do
        # shellcheck disable=SC2059 # the format is the octal escape itself
        printf "\\$(printf %03o $(($1 >> bits & 255)))"
    done
}

mnist_slice() {
    mkdir -p "$2"
    { printf '\000\000\010\003'; be32 "$1"; be32 28; be32 28
      gzip -dc "$SRC/data/mnist/train-images-idx3-ubyte.gz" | tail -c +17 | head -c $(($1 * 784)); } \
        >"$2/train-images-idx3-ubyte"
    [ "${3:-}" = labels ] || return 0
    { printf '\000\000\010\001'; be32 "$1"
      gzip -dc "$SRC/data/mnist/train-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$1"; } \
        >"$2/train-labels-idx1-ubyte"
}

usage_error() {
    want=$1
    shift
    checks=$((checks + 1))
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc -eq 2 ] || fail "gan-train $*: exit $rc, want 2"
    [ -s "$T/out" ] && fail "gan-train $*: wrote to stdout"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "gan-train $*: stderr is not one line: $(cat "$T/err")"
    grep -q "^gan-train: " "$T/err" || fail "gan-train $*: no 'gan-train: ' prefix"
    grep -qF -- "$want" "$T/err" || fail "gan-train $*: '$(cat "$T/err")' lacks '$want'"
}

test_end() {
    echo "$1: $checks checks, $fails failed"
    [ "$fails" -eq 0 ]
}
