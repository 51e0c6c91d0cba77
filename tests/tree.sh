#!/bin/sh
# tree.sh SRC: no run output is tracked by git: checkpoints (*.gan), loss logs,
# sample grids and timelines belong in runs/ (ignored), never in the tree;
# test fixtures and fuzz corpora (tests/fixtures, tests/fuzz) are the only
# checkpoints allowed. Outside a git checkout (a tarball) there is nothing to
# check.
set -u
SRC=$1
if ! git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "tree.sh: $SRC is not a git checkout; nothing to check"
    exit 0
fi
bad=$(git -C "$SRC" ls-files | grep -v -e '^tests/fixtures/' -e '^tests/fuzz/' |
    grep -E '(\.gan$|(^|/)losses\.csv$|(^|/)steps\.csv$|(^|/)samples/epoch-[0-9]+\.png$|(^|/)progress\.png$|^runs/)')
if [ -n "$bad" ]; then
    echo "FAIL: run outputs are tracked by git (remove them with git rm; runs/ is ignored):" >&2
    echo "$bad" >&2
    exit 1
fi
git -C "$SRC" check-ignore -q runs/001/checkpoint.gan || { echo "FAIL: runs/ is not ignored" >&2; exit 1; }
echo "tree.sh: no run output tracked"
