# lib.sh: what the shell tests share, sourced by each: test_begin NAME
# [CLEANUP] makes the scratch folder $T (removed at exit, after CLEANUP) and
# zeroes the counters; fail counts and reports a failed check; is_png FILE
# looks at the PNG signature; elapsed_ms START gives the milliseconds since
# START (from date +%s%N); test_end NAME prints the count and is the exit
# status.

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

is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

test_end() {
    echo "$1: $checks checks, $fails failed"
    [ "$fails" -eq 0 ]
}
