# measure.sh: what the measuring scripts (recipes.sh, conditional.sh) share;
# sourced, from the project's root.
#   measure_args LISTOPT USAGE ARGS...  the options --seeds, --epochs, --threads,
#       --out, --sets and LISTOPT (into $list); anything else prints USAGE, exit 2
#   measure_setup   Debian's packages; gan-train built into $BUILD (default
#       build-measure) once, so that work on the sources meanwhile does not
#       change the runs; Fashion-MNIST installed where $sets names it
#   data_of SET     the folder of mnist or fashion
#   train_eval DIR SET SEED ARGS...  trains gan-train ARGS for $epochs epochs
#       on $threads threads into DIR (unless its CSV has the last epoch) and
#       evaluates the final checkpoint into DIR/eval.csv (10,000 samples against
#       the test split; kept where it exists), so a script resumes where it stopped
#   run_row DIR     DIR/eval.csv's row and the mean training seconds per epoch
#   seed_rows SET NAME  train_eval of NAME (the caller's args_of NAME gives its
#       options) in $out/SET-NAME-sSEED for each of $seeds, and their run_rows
BUILD=${BUILD:-build-measure}
FASHION=/usr/share/datasets/fashion-mnist

measure_args() {
    listopt=$1
    usage=$2
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
        --seeds) seeds=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --sets) sets=$2; shift 2 ;;
        "$listopt") list=$2; shift 2 ;;
        *) echo "usage: $usage" >&2; exit 2 ;;
        esac
    done
}

measure_setup() {
    sh scripts/deps.sh
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target gan-train >/dev/null
    case " $sets " in *" fashion "*)
        [ -d $FASHION ] || DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist >&2 ||
            { echo "$0: needs apt-get install dataset-fashion-mnist" >&2; exit 1; } ;;
    esac
}

data_of() { [ "$1" = mnist ] && echo data/mnist || echo $FASHION; }

train_eval() {
    dir=$1 set=$2 seed=$3
    shift 3
    if ! grep -q "^$epochs," "$dir/losses.csv" 2>/dev/null; then
        "$BUILD"/gan-train --data "$(data_of "$set")" --epochs "$epochs" --seed "$seed" \
            --threads "$threads" --eval-every 0 --quiet --force --out "$dir" "$@"
    fi
    [ -s "$dir/eval.csv" ] ||
        "$BUILD"/gan-train eval --checkpoint "$dir/checkpoint.gan" --data "$(data_of "$set")" \
            --count 10000 --csv --threads "$threads" >"$dir/eval.csv" 2>/dev/null
}

run_row() {
    printf '%s,%s\n' "$(sed -n 2p "$1/eval.csv")" \
        "$(awk -F, 'NR > 1 { s += $7; n++ } END { printf "%.2f", s / n }' "$1/losses.csv")"
}

seed_rows() {
    for s in $seeds; do
        # shellcheck disable=SC2046 # the words of the options
        train_eval "$out/$1-$2-s$s" "$1" "$s" $(args_of "$2")
        run_row "$out/$1-$2-s$s"
    done
}
