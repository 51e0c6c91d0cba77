#!/bin/sh
# optimal-d.sh [OUT.png]: the seed's optimal discriminator, drawn. Builds
# gan-optimal-d, which trains a small MLP D with the library's BCE and Adam
# between a two-bump mixture (p_data) and a wide Gaussian (p_g), and plots the
# learned D(x) over the closed form D*(x) = p_data / (p_data + p_g) and both
# densities with gnuplot (Debian gnuplot-nox, installed if missing).
set -eu
cd "$(dirname "$0")/.."
out=${1:-scripts/optimal-d.png}
sh scripts/deps.sh gnuplot-nox
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target gan-optimal-d >/dev/null
table=$(mktemp /tmp/optimal-d-XXXXXX)
trap 'rm -f "$table"' EXIT
build/gan-optimal-d >"$table"
gnuplot <<GP
set terminal pngcairo size 800,480 font ",11"
set output "$out.tmp"
set datafile separator "\t"
set key top left noenhanced
set xlabel "x"
set ylabel "D(x)"
set y2label "density"
set ytics nomirror
set y2tics
set yrange [0:1.05]
set y2range [0:0.9]
set title "Learned D(x) against D*(x) = p_data / (p_data + p_g)" noenhanced
plot "$table" using 1:2 axes x1y2 with filledcurves x1 lc rgb "#c6dbef" title "p_data (density)", \
     "" using 1:3 axes x1y2 with lines lw 2 lc rgb "#fdae6b" title "p_g (density)", \
     "" using 1:4 with lines lw 6 lc rgb "#999999" title "D*(x), closed form", \
     "" using 1:5 with lines lw 2 lc rgb "#d62728" title "D(x), trained MLP"
GP
mv "$out.tmp" "$out"
echo "wrote $out" >&2
