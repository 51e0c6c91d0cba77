#!/bin/sh
# plot-losses.sh [CSV] [-o PNG] [--follow]: draws a gan-train log with gnuplot
# (Debian gnuplot-nox, installed if missing): loss_d and loss_g, D(x) and
# D(G(z)), and the FID and wgan-gp's Wasserstein estimate where the log has
# them, against epoch (losses.csv) or
# step (steps.csv, from --log-every). CSV is a file, or standard input when
# missing or "-":
#
#   scripts/plot-losses.sh runs/001/losses.csv -o losses.png
#   gan-train --log - | scripts/plot-losses.sh -o losses.png
#   gan-train --log - | scripts/plot-losses.sh --follow            # in the terminal
#   gan-train --log - | scripts/plot-losses.sh --follow -o live.png
#
# -o PNG: the image (default losses.png, or with --follow and no -o, the
# terminal: gnuplot's dumb output, redrawn). --follow: redraw as rows arrive
# on the input; the PNG is rewritten atomically (a temporary file, renamed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
in=- out="" follow=0
while [ $# -gt 0 ]; do
    case $1 in
    -o) [ $# -ge 2 ] || { echo "plot-losses.sh: -o needs a file" >&2; exit 2; }; out=$2; shift 2 ;;
    --follow) follow=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) [ "$1" = - ] && { in=-; shift; continue; }
        echo "plot-losses.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) in=$1; shift ;;
    esac
done
command -v gnuplot >/dev/null 2>&1 || sh "$here/deps.sh" gnuplot-nox >&2 || exit 1
[ -n "$out" ] || [ $follow -eq 1 ] || out=losses.png
if [ "$in" != - ] && [ ! -r "$in" ]; then
    echo "plot-losses.sh: $in: cannot read" >&2
    exit 1
fi
tmp=$(mktemp -d /tmp/plot-losses-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/log.csv

# render: draws $data (a header and at least one row) to $out, or the terminal
render() {
    header=$(head -n 1 "$data")
    case $header in
    step,*) x=1 xlabel=step ;;
    epoch,*) x=1 xlabel=epoch ;;
    *) echo "plot-losses.sh: not a gan-train log (header: $header)" >&2; return 1 ;;
    esac
    col() { echo "$header" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
    ld=$(col loss_d) lg=$(col loss_g) dr=$(col d_real) df=$(col d_fake) fid=$(col fid)
    w=$(col wasserstein)
    # the FID and Wasserstein panels only where some row has a value
    has() { [ -n "$1" ] && [ -n "$(sed 1d "$data" | cut -d, -f"$1" | grep -m1 .)" ]; }
    has_fid=0 has_w=0
    has "$fid" && has_fid=1
    has "$w" && has_w=1
    panels=$((2 + has_fid + has_w))
    if [ -n "$out" ]; then
        term="set terminal pngcairo size 800,$((260 * panels)) font ',10'; set output '$tmp/plot.png'"
    else
        term="set terminal dumb size 100,$((16 * panels)); set output"
    fi
    gnuplot 2>"$tmp/gnuplot.err" <<GP
$term
set datafile separator ","
set datafile missing ""
set key autotitle columnhead noenhanced top right
set grid
set xlabel "$xlabel"
set multiplot layout $panels,1
set ylabel "loss"
plot "$data" using $x:$ld with lines lw 2, "" using $x:$lg with lines lw 2
set ylabel "mean D output"
set yrange [0:1]
plot "$data" using $x:$dr with lines lw 2, "" using $x:$df with lines lw 2
if ($has_fid) {
    set autoscale y
    set ylabel "FID (lower is better)"
    plot "$data" using $x:$fid with linespoints lw 2 pt 7
}
if ($has_w) {
    set autoscale y
    set ylabel "Wasserstein estimate"
    plot "$data" using $x:${w:-1} with lines lw 2
}
unset multiplot
GP
    rc=$?
    # a single row gives an empty range: gnuplot widens it and says so
    grep -v "^Warning: empty [xy] range" "$tmp/gnuplot.err" >&2 || true
    [ $rc -eq 0 ] || return 1
    if [ -n "$out" ]; then
        mv -f "$tmp/plot.png" "$out.tmp-plot" && mv -f "$out.tmp-plot" "$out"
    fi
}

if [ $follow -eq 0 ]; then
    if [ "$in" = - ]; then cat >"$data"; else cat "$in" >"$data"; fi
    [ "$(wc -l <"$data")" -ge 2 ] || { echo "plot-losses.sh: no rows to plot" >&2; exit 1; }
    render
    [ -n "$out" ] && echo "wrote $out" >&2
    exit 0
fi
# --follow: a redraw for every row that arrives (standard input: until it
# ends; a file: as it grows, until interrupted)
: >"$data"
follow_rows() {
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$data"
        if [ "$(wc -l <"$data")" -ge 2 ]; then
            [ -z "$out" ] && printf '\033[H\033[2J'
            render || exit 1
        fi
    done
}
if [ "$in" = - ]; then
    follow_rows
else
    tail -n +1 -f "$in" | follow_rows
fi
