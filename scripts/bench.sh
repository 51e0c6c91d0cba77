#!/bin/sh
# bench.sh [--quick | --kernels]: how fast gan-train trains, against the GEMM
# floor and against PyTorch, in one run on this machine, on one OpenBLAS
# kernel for all of them.
#
# Full (default): Fashion-MNIST, 60,000 images, from Debian's
# dataset-fashion-mnist, and Debian's python3-torch (both installed if
# missing). gan-bench picks the kernel as gan-train does (gan_kernel.h:
# OpenBLAS's own pick, or the CPU's where the library's is older or was
# measured slower) and
# prints it; PyTorch, which links the same libopenblas.so.0, is run with
# OPENBLAS_CORETYPE set to that kernel, and the script checks that it ran
# on it. For 1 and 2 threads gan-bench measures, in interleaved rounds, the
# GEMM floor (the cblas_sgemm calls of a training step replayed alone,
# scaled to an epoch) and real epochs (medians of 5 rounds; epoch/floor is
# the median of each round's ratio); gan-train then trains one epoch for its
# peak memory. PyTorch (data preloaded) is timed on 1 and 2 threads, and the
# faster is the one compared against. A second table says where a thread's
# time goes in an epoch: the GEMMs (against the floor), waiting at barriers,
# Adam, the bias and activation passes, the batch and z, the rest; and Adam
# alone, with its arrays in cache and from memory, against Adam in training.
# --quick: the embedded MNIST digits, PyTorch only where installed, shorter
# timing; under a minute.
# --grid: gan-bench over shapes: hidden 256, 512 and 1024 x inputs 784
# (28 x 28 grey), 3,072 (32 x 32 colour) and 12,288 (64 x 64 colour) of
# synthetic images, the seed's and the default recipe, 1 and 2 threads: the
# epoch and its GEMM floor (interleaved within each gan-bench run), the
# floor's GFLOP/s against the machine's (a 2048^3 sgemm, gan-bench --peak),
# the peak memory, and PyTorch's seed on the same shapes and kernel (its best
# thread count). Larger cells train on --limit slices of as many images as
# keep an epoch's work that of 60,000 at the smallest shape, and every time
# is scaled to 60,000 images. About 35 minutes on 2 CPUs; HIDDEN="512 1024"
# measures only those widths; ONLY="256:12288:seed 512:3072:seed" only those cells
# (hidden:inputs:recipe), and REPEAT=N measures each N times over (a row each).
# --bf16: --precision bf16 over the same grid (HIDDEN as above): for each
# cell and 1 and 2 threads, gan-bench's epoch in bfloat16 against the fp32
# GEMM floor, interleaved in each round; needs a CPU with AVX512-BF16 or AMX
# and a build with oneDNN. About 25 minutes on 2 CPUs. BENCH_RAW=DIR keeps
# every gan-bench report there (--grid too).
# --cut-bits: no timing; for the grid's cells (HIDDEN and ONLY as above)
# and for the MNIST digits whole and in a slice of 2,000 (last batches of 32
# and 16 images), at which thread counts from 2 to 16 every fp32 product of
# a step keeps the bits of one thread's (gan-bench --cut-bits: a thread's
# column cut can make OpenBLAS pick another kernel, which sums in another
# order). The kernel is gan-train's pick, or OPENBLAS_CORETYPE's where set.
# About 3 minutes.
# --kernels: gan-bench's floor and epoch (1 and 2 threads) on each x86-64
# kernel OpenBLAS offers at the AVX level and up, plus its own pick, in 5
# interleaved passes: which is fastest on this CPU (one that this CPU cannot
# run is reported so).
# Times are seconds per epoch of the data set used.
set -eu
cd "$(dirname "$0")/.."
mode=full
case "${1:-}" in
"") ;;
--quick) mode=quick ;;
--kernels) mode=kernels ;;
--grid) mode=grid ;;
--bf16) mode=bf16 ;;
--cut-bits) mode=cuts ;;
*)
    echo "usage: scripts/bench.sh [--quick | --kernels | --grid | --bf16 | --cut-bits]" >&2
    exit 2
    ;;
esac
if [ $mode = quick ]; then
    sh scripts/deps.sh
    data=data/mnist
    rounds=3
    torch_args="--steps 100"
elif [ $mode = kernels ]; then
    sh scripts/deps.sh dataset-fashion-mnist
    data=/usr/share/datasets/fashion-mnist
    rounds=5
elif [ $mode = cuts ]; then
    sh scripts/deps.sh
    data="synthetic images and data/mnist"
elif [ $mode = grid ] || [ $mode = bf16 ]; then
    if [ $mode = grid ]; then sh scripts/deps.sh python3-torch; else sh scripts/deps.sh; fi
    data="synthetic images"
    rounds=3
else
    sh scripts/deps.sh dataset-fashion-mnist python3-torch
    data=/usr/share/datasets/fashion-mnist
    rounds=5
    torch_args="--epochs 3"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target gan-train gan-bench >/dev/null
tmp=$(mktemp -d /tmp/gan-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

val() { sed -n "s/^$1=//p" "$2"; }

echo "data: $data ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"

# limit H P: as many images as keep an epoch's products those of 60,000 at
# 256 x 784 (at least 1,280); reps L: floor replays a round for L images
limit() {
    awk -v h="$1" -v p="$2" 'BEGIN { l = int(60000 * 256 * 1140 / (h * (p + h + 100)) / 64) * 64;
        print (l < 1280 ? 1280 : (l > 60000 ? 60000 : l)) }'
}
reps() { awk -v l="$1" 'BEGIN { r = int(l / 128); print (r < 10 ? 10 : (r > 100 ? 100 : r)) }'; }

if [ $mode = cuts ]; then
    # cuts ARGS...: one table row of gan-bench --cut-bits ARGS
    cuts() {
        build/gan-bench --cut-bits "$@" >"$tmp/c" || exit 1
        n=$(val cut_bits_products "$tmp/c")
        d=$(val cut_bits_differing "$tmp/c" | tr , '\n' | awk -F: '$1 == 2 || $1 == 3 || $1 == 4 || $1 == 8 || $1 == 16 { printf "%s%s", s, $2; s = " / " }')
        printf '| %s | %s | %s | %s | %s | %s |\n' "$(val images "$tmp/c")" "$(val cut_bits_last_batch "$tmp/c")" \
            "$n" "$(val cut_bits_same_threads "$tmp/c")" "$d" "$(val kernel "$tmp/c")"
    }
    printf '\n| hidden | inputs | recipe | images | last batch | products | threads keeping every product'"'"'s bits | products changed on 2 / 3 / 4 / 8 / 16 threads | kernel |\n'
    printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for h in ${HIDDEN:-256 512 1024}; do
        for shape in 28x28:1 32x32:3 64x64:3; do
            size=${shape%:*} ch=${shape#*:}
            p=$((${size%x*} * ${size#*x} * ch))
            for preset in seed default; do
                if [ -n "${ONLY:-}" ]; then
                    case " $ONLY " in *" $h:$p:$preset "*) ;; *) continue ;; esac
                fi
                printf '| %s | %s | %s ' $h $p $preset
                cuts --size "$size" --channels "$ch" --limit "$(limit $h $p)" --hidden $h --preset $preset
            done
        done
    done
    for lim in 60000 2000; do
        printf '| 256 | 784 (MNIST) | seed '
        cuts --data data/mnist --limit $lim --preset seed
    done
    echo "(gan-bench --cut-bits: each product of a step on random inputs, whole and cut as N threads cut it; 'products' counts them over the batch sizes a step runs)"
    exit 0
fi

if [ $mode = bf16 ]; then
    kernel=$(build/gan-bench --peak --threads 1 | sed -n 's/^kernel=//p')
    echo "blas: OpenBLAS kernel $kernel (the fp32 floor); bf16: oneDNN's matmul"
    printf '\n| hidden | inputs | recipe | images | 1 thread: fp32 floor | bf16 epoch | bf16 epoch/floor | 2 threads: fp32 floor | bf16 epoch | bf16 epoch/floor | peak MB |\n'
    printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for h in ${HIDDEN:-256 512 1024}; do
        for shape in 28x28:1 32x32:3 64x64:3; do
            size=${shape%:*} ch=${shape#*:}
            p=$((${size%x*} * ${size#*x} * ch))
            lim=$(limit $h $p)
            for preset in seed default; do
                for t in 1 2; do
                    build/gan-bench --size "$size" --channels "$ch" --limit "$lim" --hidden $h --preset $preset \
                        --threads $t --epochs "$rounds" --reps "$(reps "$lim")" --precision bf16 >"$tmp/g$t" || exit 1
                    [ -z "${BENCH_RAW:-}" ] || cp "$tmp/g$t" "$BENCH_RAW/bf16-$h-$p-$preset-$t.txt"
                done
                printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' $h $p $preset "$lim" \
                    "$(val floor_epoch_s_60k "$tmp/g1")" "$(val epoch_s_60k "$tmp/g1")" "$(val epoch_over_floor "$tmp/g1")" \
                    "$(val floor_epoch_s_60k "$tmp/g2")" "$(val epoch_s_60k "$tmp/g2")" "$(val epoch_over_floor "$tmp/g2")" \
                    "$(val peak_rss_mb "$tmp/g2")"
            done
        done
    done
    echo "(seconds per epoch of 60,000 images, scaled from 'images'; gan-bench --precision bf16: medians of $rounds interleaved rounds of the fp32 floor and a bf16 epoch; peak MB holds three trainers)"
    exit 0
fi

if [ $mode = grid ]; then
    kernel=$(build/gan-bench --peak --threads 1 | tee "$tmp/peak1" | sed -n 's/^kernel=//p')
    build/gan-bench --peak --threads 2 >"$tmp/peak2"
    echo "blas: OpenBLAS kernel $kernel; a 2048^3 sgemm: $(val peak_gflops "$tmp/peak1") GFLOP/s on 1 thread, $(val peak_gflops "$tmp/peak2") on 2"
    printf '\n| hidden | inputs | recipe | images | 1 thread s/epoch | floor | epoch/floor | floor GFLOP/s (of peak) | 2 threads s/epoch | floor | epoch/floor | PyTorch s/epoch (threads) | vs PyTorch | peak MB |\n'
    printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for h in ${HIDDEN:-256 512 1024}; do
        for shape in 28x28:1 32x32:3 64x64:3; do
            size=${shape%:*} ch=${shape#*:}
            w=${size%x*} hh=${size#*x}
            p=$((w * hh * ch))
            lim=$(limit $h $p)
            reps=$(reps "$lim")
            for preset in seed default; do
              if [ -n "${ONLY:-}" ]; then
                  case " $ONLY " in *" $h:$p:$preset "*) ;; *) continue ;; esac
              fi
              for _ in $(seq "${REPEAT:-1}"); do
                # PyTorch runs the seed's recipe only; each repetition measures it again
                if [ $preset = seed ]; then
                    for t in 1 2; do
                        OPENBLAS_CORETYPE=$kernel /usr/bin/python3 scripts/bench-torch.py --size "$size" --channels "$ch" \
                            --limit "$lim" --hidden $h --epochs 2 --threads $t >"$tmp/t$t" 2>/dev/null ||
                            echo "torch_epoch_s_60k=-" >"$tmp/t$t"
                    done
                    tb=$(awk -v a="$(val torch_epoch_s_60k "$tmp/t1")" -v b="$(val torch_epoch_s_60k "$tmp/t2")" \
                        'BEGIN { if (a == "-") print "- -"; else if (b != "-" && b + 0 < a + 0) print b, 2; else print a, 1 }')
                fi
                for t in 1 2; do
                    build/gan-bench --size "$size" --channels "$ch" --limit "$lim" --hidden $h --preset $preset \
                        --threads $t --epochs "$rounds" --reps "$reps" >"$tmp/g$t"
                    [ -z "${BENCH_RAW:-}" ] || cp "$tmp/g$t" "$BENCH_RAW/fp32-$h-$p-$preset-$t.txt"
                done
                vs="-"
                best=$(awk -v a="$(val epoch_s_60k "$tmp/g1")" -v b="$(val epoch_s_60k "$tmp/g2")" 'BEGIN { print (a < b ? a : b) }')
                [ $preset = seed ] && [ "${tb% *}" != "-" ] &&
                    vs=$(awk -v a="${tb% *}" -v b="$best" 'BEGIN { printf "%.2fx faster", a / b }')
                pt="-"
                [ $preset = seed ] && pt="${tb% *} (${tb#* })"
                rss=$(awk -v a="$(val peak_rss_mb "$tmp/g1")" -v b="$(val peak_rss_mb "$tmp/g2")" 'BEGIN { print (a > b ? a : b) }')
                printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s%%) | %s | %s | %s | %s | %s | %s |\n' \
                    $h $p $preset "$lim" "$(val epoch_s_60k "$tmp/g1")" "$(val floor_epoch_s_60k "$tmp/g1")" \
                    "$(val epoch_over_floor "$tmp/g1")" "$(val floor_gflops "$tmp/g1")" \
                    "$(awk -v f="$(val floor_gflops "$tmp/g1")" -v p="$(val peak_gflops "$tmp/peak1")" 'BEGIN { printf "%.0f", 100 * f / p }')" \
                    "$(val epoch_s_60k "$tmp/g2")" "$(val floor_epoch_s_60k "$tmp/g2")" "$(val epoch_over_floor "$tmp/g2")" \
                    "$pt" "$vs" "$rss"
              done
            done
        done
    done
    echo "(seconds per epoch of 60,000 images, scaled from 'images'; gan-bench: medians of $rounds interleaved rounds; PyTorch: the seed's model, data preloaded, median of 2 epochs, the better of 1 and 2 threads; vs PyTorch: its best against gan-train's best)"
    exit 0
fi

if [ $mode = kernels ]; then
    # the library's own pick: what it runs unless told, or what it had picked
    # where gan-train restarts on another
    ver=$(env -u OPENBLAS_CORETYPE -u GAN_TRAIN_KERNEL_FROM build/gan-train --version | sed -n 2p)
    own=$(echo "$ver" | sed -n 's/.*picked \([A-Za-z0-9_]*\) for this CPU.*/\1/p')
    [ -n "$own" ] || own=$(echo "$ver" | sed -n 's/^OpenBLAS [^,]*, kernel \([A-Za-z0-9_]*\).*/\1/p')
    echo "gan-train: $ver"
    kernels=$own
    for k in Sandybridge Haswell Zen SkylakeX Cooperlake; do
        [ "$k" = "$own" ] || kernels="$kernels $k"
    done
    # the machine's speed drifts for minutes at a time: each pass measures
    # every kernel once (one gan-bench round each), and the table gives each
    # kernel's median over the passes
    for pass in $(seq "$rounds"); do
        for k in $kernels; do
            for t in 1 2; do
                if OPENBLAS_CORETYPE=$k build/gan-bench --data "$data" --threads $t --epochs 1 \
                    >"$tmp/k" 2>/dev/null; then
                    got=$(val kernel "$tmp/k")
                    if [ "$got" != "$k" ]; then
                        echo "OpenBLAS gives $got" >"$tmp/$k.$t.note"
                    else
                        echo "$(val epoch_s "$tmp/k") $(val floor_epoch_s "$tmp/k")" >>"$tmp/$k.$t"
                    fi
                else
                    echo "cannot run here (exit $?)" >"$tmp/$k.$t.note"
                fi
            done
        done
    done
    med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
    printf '\n| kernel | 1 thread s/epoch | GEMM floor s | 2 threads s/epoch | GEMM floor s |\n'
    printf '| --- | --- | --- | --- | --- |\n'
    for k in $kernels; do
        row="| $k |"
        for t in 1 2; do
            if [ -e "$tmp/$k.$t.note" ]; then
                row="$row $(cat "$tmp/$k.$t.note") | |"
            else
                row="$row $(cut -d' ' -f1 "$tmp/$k.$t" | med) | $(cut -d' ' -f2 "$tmp/$k.$t" | med) |"
            fi
        done
        echo "$row"
    done
    echo "(medians of $rounds passes; each pass times every kernel once)"
    exit 0
fi

for t in 1 2; do
    build/gan-bench --data "$data" --threads "$t" --epochs "$rounds" >"$tmp/bench$t"
done
kernel=$(val kernel "$tmp/bench1")
echo "blas: $(val blas "$tmp/bench1")"
build/gan-train --data "$data" --epochs 1 --preset seed --eval-every 0 --out "$tmp/run" 2>"$tmp/train.err" >/dev/null
rss=$(sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p' "$tmp/train.err")
images=$(val images "$tmp/bench1")

torch_s=""
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    for t in 1 2; do
        OPENBLAS_CORETYPE=$kernel /usr/bin/python3 scripts/bench-torch.py --data "$data" $torch_args \
            --threads $t >"$tmp/torch$t"
        tk=$(val torch_kernel "$tmp/torch$t")
        [ "$tk" = "$kernel" ] || echo "warning: PyTorch ran on OpenBLAS kernel '$tk', not $kernel" >&2
    done
    t1=$(val torch_epoch_s "$tmp/torch1")
    t2=$(val torch_epoch_s "$tmp/torch2")
    torch_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (a <= b ? a : b) }')
    torch_t=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (a <= b ? 1 : 2) }')
else
    echo "(PyTorch not installed: apt-get install python3-torch to compare)"
fi

printf '\n| threads | seconds/epoch | samples/s | GEMM floor s | epoch/floor | vs PyTorch |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for t in 1 2; do
    e=$(val epoch_s "$tmp/bench$t")
    vs="-"
    [ -n "$torch_s" ] && vs=$(awk -v a="$torch_s" -v b="$e" 'BEGIN { printf "%.2fx faster", a / b }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$e" "$(val samples_per_s "$tmp/bench$t")" \
        "$(val floor_epoch_s "$tmp/bench$t")" "$(val epoch_over_floor "$tmp/bench$t")" "$vs"
done
# where a thread's time goes in gan-bench's median epoch
printf '\n| threads | epoch s | GEMMs s (/floor) | barrier waits | Adam | bias+activation | batch+z | rest |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
for t in 1 2; do
    f=$tmp/bench$t
    printf '| %s | %.3f | %.3f (%s) | %.3f | %.3f | %.3f | %.3f | %.3f |\n' "$t" "$(val spent_epoch_s "$f")" \
        "$(val spent_gemm_s "$f")" "$(val spent_gemm_over_floor "$f")" "$(val spent_wait_s "$f")" \
        "$(val spent_adam_s "$f")" "$(val spent_act_s "$f")" "$(val spent_data_s "$f")" \
        "$(val spent_other_s "$f")"
done
echo "(seconds of one epoch, the round with the median epoch, mean over the threads)"
for t in 1 2; do
    f=$tmp/bench$t
    echo "Adam on both networks, $t thread(s), ms a step: $(val adam_hot_ms "$f") alone with its arrays in cache, $(val adam_cold_ms "$f") alone from memory (a 64 MB sweep before each step), $(val adam_own_lines_ms "$f") and $(val adam_other_lines_ms "$f") alone with its gradients' lines last written by its own thread and by another, $(val adam_after_products_ms "$f") alone right after the step's products, $(val adam_epoch_ms "$f") in the epoch above (one call: median $(val adam_epoch_call_median_us "$f") us, 90th percentile $(val adam_epoch_call_p90_us "$f")); host steal in that epoch $(val steal_s "$f") s; a cache line to the other CPU and back after it: $(val line_roundtrip_ns "$f") ns"
done
echo
if [ -n "$torch_s" ]; then
    echo "PyTorch $(val torch_version "$tmp/torch1"), data preloaded, OpenBLAS kernel $(val torch_kernel "$tmp/torch1"): $t1 s/epoch on 1 thread, $t2 on 2 (compared: $torch_t)"
fi
echo "OpenBLAS's own 2 threads on the same 22 products: $(val openblas_threads_floor_epoch_s "$tmp/bench2") s/epoch"
echo "GEMM work: $(val gflop_per_step "$tmp/bench1") GFLOP a step in $(val sgemm_calls_per_step "$tmp/bench1") products, $(val steps_per_epoch "$tmp/bench1") steps an epoch; floor at $(val floor_gflops "$tmp/bench2") GFLOP/s on 2 threads"
echo "peak memory (gan-train, one epoch on $images images): $rss MB"
