#!/bin/sh
# conditional.sh: the README's table of the conditional forms (issue 19).
# Trains each form for --epochs (20) on each data set with each seed, evaluates
# the final checkpoint with `gan-train eval` (10,000 samples: 1,000 asked of
# each class, against the test split), and prints a Markdown table: mean and
# half-range over the seeds of the share read as the class asked for (overall
# and in the worst class), the intra-class FID, the FID of the pooled samples,
# precision and recall, and the mean seconds per epoch (training only).
#
#   scripts/conditional.sh [--seeds "1 2 3"] [--epochs N] [--threads N] [--out DIR]
#                          [--forms "uncond concat ..."] [--sets "mnist fashion"]
#
# Runs go to DIR/SET-FORM-sSEED (default runs/cond, never committed); a
# finished run is not trained again, so the script resumes where it stopped.
# It builds into $BUILD (default build-measure; scripts/measure.sh), once, so
# that work on the sources meanwhile does not change the runs. Forms, spelled
# out whole (so they stay what they are whatever the default), each on
# today's default recipe:
#   uncond           no --conditional: the unconditional default
#   concat           --conditional --cond-d concat --cond-g input (the one-hot beside
#                    the image and beside z)
#   concat-r1off     the same with --r1 0
#   projection       --conditional --cond-d projection --cond-g input
#   acgan            --conditional --cond-d acgan --cond-g input
#   concat-acgan     --conditional --cond-d concat+acgan --cond-g input
#   all-concat       --conditional --cond-d concat --cond-g all
#   all-concat-acgan --conditional --cond-d concat+acgan --cond-g all
#   all-projection   --conditional --cond-d projection --cond-g all
#   projection-acgan --conditional --cond-d projection+acgan --cond-g input
# Sets: mnist (data/mnist), fashion (/usr/share/datasets/fashion-mnist,
# installed if missing). About 1.5 minutes a run at 1 thread on 2 CPUs.
set -eu
cd "$(dirname "$0")/.."
seeds="1 2 3" epochs=20 threads=1 out=runs/cond sets="mnist fashion"
forms="uncond concat projection acgan concat-acgan all-concat all-concat-acgan"
. scripts/measure.sh
list=$forms
measure_args --forms "scripts/conditional.sh [--seeds LIST] [--epochs N] [--threads N] [--out DIR] [--forms LIST] [--sets LIST]" "$@"
forms=$list
measure_setup
args_of() {
    case $1 in
    uncond) echo "" ;;
    concat) echo "--conditional --cond-d concat --cond-g input" ;;
    concat-r1off) echo "--conditional --cond-d concat --cond-g input --r1 0" ;;
    projection) echo "--conditional --cond-d projection --cond-g input" ;;
    acgan) echo "--conditional --cond-d acgan --cond-g input" ;;
    concat-acgan) echo "--conditional --cond-d concat+acgan --cond-g input" ;;
    all-concat) echo "--conditional --cond-d concat --cond-g all" ;;
    all-concat-acgan) echo "--conditional --cond-d concat+acgan --cond-g all" ;;
    all-projection) echo "--conditional --cond-d projection --cond-g all" ;;
    projection-acgan) echo "--conditional --cond-d projection+acgan --cond-g input" ;;
    *) echo "conditional.sh: unknown form $1" >&2; exit 2 ;;
    esac
}
mkdir -p "$out"
echo "| data | form | read as asked | worst class | intra-FID | FID | precision | recall | s/epoch (these runs) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for set in $sets; do
    for f in $forms; do
        rows=$(seed_rows "$set" "$f")
        # checkpoint,epoch,count,fid,fid_floor,classes,kl_uniform,is,precision,recall,accuracy,
        # class_acc,class_worst,intra_fid,secs
        printf '%s\n' "$rows" | awk -F, -v set="$set" -v f="$f" '
            function add(k, v) { s[k] += v; if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v }
            NF >= 15 { n++; add("fid", $4); add("p", $9); add("r", $10); add("t", $15)
                       if ($12 != "") { add("acc", $12); add("worst", $13) }
                       if ($14 != "") add("intra", $14) }
            function g(k, d) { return (k in s) ? sprintf("%." d "f ± %." d "f", s[k] / n, (hi[k] - lo[k]) / 2) : "-" }
            END { if (n) printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n", set, f, g("acc", 3), g("worst", 3), g("intra", 1), g("fid", 1), g("p", 3), g("r", 3), s["t"] / n }'
    done
done
