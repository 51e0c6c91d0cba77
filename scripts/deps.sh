#!/bin/sh
# deps.sh [EXTRA-PACKAGE...]: installs what gan-train needs to build and test,
# and any extra Debian packages named, where they are missing (apt-get, as
# root). Prints the exact apt-get line where it cannot.
set -u
PKGS="cmake make gcc libc6-dev pkg-config libopenblas-dev zlib1g-dev libstb-dev libcjson-dev libpng-dev libjpeg62-turbo-dev libdnnl-dev ocl-icd-opencl-dev gzip $*"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "gan-train needs:$missing" >&2
    echo "install them as root with: $line" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
    # a fresh machine may have no package lists yet
    apt-get update && apt-get install -y --no-install-recommends $missing || {
        echo "could not install; try as root: apt-get update && $line" >&2
        exit 1
    }
fi
