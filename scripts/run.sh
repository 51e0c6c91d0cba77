#!/bin/sh
# run.sh [gan-train options]: installs what is missing, builds gan-train
# (Release, in build/) and runs it from the project folder, so the default
# --data data/mnist is the embedded MNIST and runs land in runs/NNN.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target gan-train >/dev/null
exec build/gan-train "$@"
