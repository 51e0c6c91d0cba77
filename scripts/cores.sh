#!/bin/sh
# cores.sh: how gan-train scales over many cores, for a machine with more CPUs
# than the two this project is built on.
#
#   scripts/cores.sh                 measure here (THREADS, CELLS, as below)
#   scripts/cores.sh --bundle FILE   build, and pack gan-bench and gan-train
#                                    with every library they load (glibc's
#                                    loader too) into FILE (.tar.xz), to run
#                                    on a machine that has none of them
#
# Measuring: for each cell (hidden:inputs:recipe, synthetic images as
# scripts/bench.sh --grid makes them) and each thread count, gan-bench's
# epoch against its GEMM floor (3 interleaved rounds on a --limit slice
# scaled to 60,000 images), with the speed-up over one thread; PyTorch's seed
# on the same shapes at each thread count, in one process (its import once);
# and first, whether the same seed gives the same checkpoint bytes on 1 and
# on the most threads, in fp32 and, where the CPU allows it, in bf16, and
# the thread counts at which fp32's products keep their bits. Each
# report is added to OUT_DIR/reports.txt as it comes (so a run cut short
# keeps what it measured), and the tables go to OUT_DIR/cores.md too.
#   THREADS  thread counts (default: 1 2 4 8 16, those up to nproc)
#   CELLS    default: 256:784:seed 256:784:default 1024:784:seed
#            512:3072:seed 1024:3072:default
#   BF16     cells measured in bf16 too (default: 256:784:seed 1024:3072:seed;
#            none where the CPU or the build cannot run it)
#   SHRINK   divides bench.sh --grid's slices (default 5)
#   GAN_BIN  the folder of gan-bench and gan-train (default: build, built if
#            missing)
#   PYTHON   a python3 with PyTorch (default: python3, skipped without torch)
#   OUT_DIR  where reports.txt and cores.md go (default: none)
#
# On a device machine, from a bundle made here (see README "Speed: many
# cores"): mkdir -p /tmp/gan-cores && tar xJf .dev/cores.tar.xz -C /tmp/gan-cores
# && GAN_BIN=/tmp/gan-cores/bin OUT_DIR=$OUT scripts/cores.sh
set -eu
cd "$(dirname "$0")/.."

if [ "${1:-}" = --bundle ]; then
    [ $# -eq 2 ] || { echo "usage: scripts/cores.sh --bundle FILE.tar.xz" >&2; exit 2; }
    out=$2
    sh scripts/deps.sh patchelf xz-utils
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j2 --target gan-train gan-bench >/dev/null
    stage=$(mktemp -d /tmp/gan-cores-XXXXXX)
    trap 'rm -rf "$stage"' EXIT
    mkdir "$stage/bin" "$stage/lib"
    cp build/gan-bench build/gan-train "$stage/bin/"
    # every library either loads (ldd gives the whole closure), and the loader
    for lib in $(ldd build/gan-bench build/gan-train | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u); do
        cp -L "$lib" "$stage/lib/"
    done
    # the bundle unpacks in /tmp/gan-cores: the loader's path must be absolute;
    # an RPATH (not RUNPATH) reaches the libraries' own needs too, and each
    # library looks beside itself
    for b in "$stage"/bin/*; do
        patchelf --set-interpreter /tmp/gan-cores/lib/ld-linux-x86-64.so.2 --force-rpath \
            --set-rpath /tmp/gan-cores/lib "$b"
    done
    for l in "$stage"/lib/*.so*; do
        # shellcheck disable=SC2016 # $ORIGIN is the loader's, not the shell's
        case $l in */ld-linux*) ;; *) patchelf --force-rpath --set-rpath '$ORIGIN' "$l" ;; esac
    done
    tar cJf "$out" -C "$stage" bin lib
    echo "$out: $(du -h "$out" | cut -f1); run: mkdir -p /tmp/gan-cores && tar xJf $out -C /tmp/gan-cores && GAN_BIN=/tmp/gan-cores/bin scripts/cores.sh"
    exit 0
fi
[ $# -eq 0 ] || { echo "usage: scripts/cores.sh [--bundle FILE.tar.xz]" >&2; exit 2; }

bin=${GAN_BIN:-build}
if [ -z "${GAN_BIN:-}" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j2 --target gan-train gan-bench >/dev/null
fi
ncpu=$(nproc)
threads=""
for t in ${THREADS:-1 2 4 8 16}; do
    [ "$t" -le "$ncpu" ] && threads="$threads $t"
done
most=${threads##* }
py=${PYTHON:-python3}
"$py" -c "import torch" 2>/dev/null || py=""
raw=$(mktemp -d /tmp/gan-cores-XXXXXX)
trap 'rm -rf "$raw"' EXIT
keep() { # report: added to OUT_DIR/reports.txt under its name
    [ -z "${OUT_DIR:-}" ] || { echo "== $(basename "$1")"; cat "$1"; } >>"$OUT_DIR/reports.txt"
}
[ -z "${OUT_DIR:-}" ] || { mkdir -p "$OUT_DIR" && : >"$OUT_DIR/reports.txt"; }
val() { sed -n "s/^$1=//p" "$2"; }
limit() {
    awk -v h="$1" -v p="$2" -v s="${SHRINK:-5}" 'BEGIN { l = int(60000 * 256 * 1140 / (h * (p + h + 100)) / s / 64) * 64;
        print (l < 640 ? 640 : (l > 60000 ? 60000 : l)) }'
}
reps() { awk -v l="$1" 'BEGIN { r = int(l / 128); print (r < 10 ? 10 : (r > 100 ? 100 : r)) }'; }
shape() { # inputs -> size and channels
    case $1 in 784) echo "28x28 1" ;; 3072) echo "32x32 3" ;; 12288) echo "64x64 3" ;;
        *) echo "cores.sh: inputs 784, 3072 or 12288, not $1" >&2; return 1 ;; esac
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
"$bin/gan-bench" --peak --threads 1 >"$raw/peak-1.txt"
"$bin/gan-bench" --peak --threads "$most" >"$raw/peak-$most.txt"
{
    echo "$ncpu CPUs: $cpu; threads:$threads"
    echo "gan-bench: OpenBLAS kernel $(val kernel "$raw/peak-1.txt"); a 2048^3 sgemm: $(val peak_gflops "$raw/peak-1.txt") GFLOP/s on 1 thread, $(val peak_gflops "$raw/peak-$most.txt") on $most; a cache line to the second CPU and back: $(val line_roundtrip_ns "$raw/peak-1.txt") ns"
} >"$raw/head"
bf16=${BF16-256:784:seed 1024:3072:seed}
if ! "$bin/gan-bench" --peak --threads 1 --precision bf16 >"$raw/peak-bf16.txt" 2>"$raw/peak-bf16.err"; then
    echo "bf16: not here ($(head -1 "$raw/peak-bf16.err"))" >>"$raw/head"
    bf16=""
fi
cat "$raw/head" >&2
for f in "$raw"/peak-*.txt; do keep "$f"; done

measure() { # cell precision: one gan-bench report a thread count
    h=${1%%:*} rest=${1#*:}
    p=${rest%%:*} preset=${rest#*:}
    # shellcheck disable=SC2046 # its two words: size and channels
    set -- $(shape "$p")
    lim=$(limit "$h" "$p")
    for t in $threads; do
        "$bin/gan-bench" --size "$1" --channels "$2" --limit "$lim" --hidden "$h" --preset "$preset" \
            --threads "$t" --epochs 3 --reps "$(reps "$lim")" --precision "$prec" \
            >"$raw/$prec-$h-$p-$preset-$t.txt" || echo "gan-bench failed: $prec $h $p $preset $t threads" >&2
        keep "$raw/$prec-$h-$p-$preset-$t.txt"
        echo "$prec $h x $p $preset, $t threads: $(val epoch_s_60k "$raw/$prec-$h-$p-$preset-$t.txt") s/epoch" >&2
    done
    if [ "$prec" = fp32 ] && [ "$preset" = seed ] && [ -n "$py" ]; then
        "$py" scripts/bench-torch.py --size "$1" --channels "$2" --limit "$lim" --hidden "$h" --epochs 2 \
            --threads "$(echo "$threads" | sed 's/^ //; s/ /,/g')" >"$raw/torch-$h-$p.txt" 2>"$raw/torch-$h-$p.err" ||
            echo "PyTorch failed at $h x $p: $(tail -1 "$raw/torch-$h-$p.err")" >&2
        keep "$raw/torch-$h-$p.txt"
    fi
}
table() { # precision cells
    printf '\n| hidden | inputs | recipe | precision | images | threads | s/epoch | fp32 floor | epoch/floor | speed-up | PyTorch s/epoch |\n'
    printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for c in $2; do
        h=${c%%:*} rest=${c#*:}
        p=${rest%%:*} preset=${rest#*:}
        one=$(val epoch_s_60k "$raw/$1-$h-$p-$preset-1.txt" 2>/dev/null || true)
        for t in $threads; do
            f=$raw/$1-$h-$p-$preset-$t.txt
            [ -s "$f" ] || continue
            e=$(val epoch_s_60k "$f")
            pt=-
            [ -s "$raw/torch-$h-$p.txt" ] && [ "$1$preset" = fp32seed ] && pt=$(val "torch_epoch_s_60k_t$t" "$raw/torch-$h-$p.txt")
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$h" "$p" "$preset" "$1" \
                "$(val images "$f")" "$t" "$e" "$(val floor_epoch_s_60k "$f")" "$(val epoch_over_floor "$f")" \
                "$(awk -v a="$one" -v b="$e" 'BEGIN { if (a == "") print "-"; else printf "%.2fx", a / b }')" "${pt:--}"
        done
    done
}

# the same bytes on 1 and on the most threads (fp32, and bf16 where it runs)
same() { # precision
    for t in 1 "$most"; do
        rm -rf "$raw/run-$1-$t"
        "$bin/gan-train" --data data/mnist --limit 1280 --epochs 1 --eval-every 0 --threads "$t" \
            --precision "$1" --out "$raw/run-$1-$t" >/dev/null 2>"$raw/run-$1-$t.err" || {
            echo "failed: $(tail -1 "$raw/run-$1-$t.err")"
            return 0
        }
    done
    if cmp -s "$raw/run-$1-1/checkpoint.gan" "$raw/run-$1-$most/checkpoint.gan"; then
        echo "the same checkpoint bytes on 1 and $most threads"
    else
        echo "DIFFERENT checkpoint bytes on 1 and $most threads"
    fi
    rm -rf "$raw/run-$1-1" "$raw/run-$1-$most"
}
same_fp32=$(same fp32)
same_bf16=-
[ -z "$bf16" ] || same_bf16=$(same bf16)
# which thread counts keep every fp32 product's bits on this kernel (the
# MNIST digits: a last batch of 32; README "Speed: the bits and the thread count")
"$bin/gan-bench" --cut-bits --data data/mnist >"$raw/cut-bits.txt" 2>&1 || true
keep "$raw/cut-bits.txt"
echo "fp32: $same_fp32; bf16: $same_bf16; fp32 thread counts keeping every product's bits ($(val kernel "$raw/cut-bits.txt")): $(val cut_bits_same_threads "$raw/cut-bits.txt")" >"$raw/same"
cat "$raw/same" >&2
keep "$raw/same"

cells=${CELLS:-256:784:seed 256:784:default 1024:784:seed 512:3072:seed 1024:3072:default}
prec=fp32
for c in $cells; do measure "$c"; done
prec=bf16
for c in $bf16; do measure "$c"; done

{
cat "$raw/head"
table fp32 "$cells"
[ -z "$bf16" ] || table bf16 "$bf16"
echo "(seconds per epoch of 60,000 images, scaled from 'images'; gan-bench: medians of 3 interleaved rounds; speed-up: the 1-thread epoch over this one; PyTorch: the seed's model at the same thread count, data preloaded, median of 2 epochs)"
for f in "$raw"/torch-*.txt; do
    if [ -s "$f" ]; then
        echo "PyTorch $(val torch_version "$f"), BLAS kernel $(val torch_kernel "$f")"
        break
    fi
done
cat "$raw/same"
} | if [ -n "${OUT_DIR:-}" ]; then tee "$OUT_DIR/cores.md"; else cat; fi
