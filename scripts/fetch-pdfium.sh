#!/usr/bin/env bash
# Puts PDFium (libpdfium.so, PDFium build 8149) for one architecture into a directory:
#   scripts/fetch-pdfium.sh x86_64|aarch64 DEST_DIR      -> DEST_DIR/libpdfium.so
# It comes from the pinned pypdfium2 wheel on PyPI (manylinux_2_17, so it needs glibc 2.17 at
# most). Both the wheel and the library are checked against the sha256 pinned below; a
# mismatch stops the script and leaves nothing behind. Safe to run again: a library already
# in DEST_DIR with the pinned checksum is kept as it is, without a download.
# Used by scripts/setup.sh (the host's library, for tests) and scripts/build-artifacts.sh (the
# Lambda layer, x86_64 or aarch64).
set -euo pipefail

PYPDFIUM2_VERSION=5.15.2
declare -A WHEEL_SHA256=(
  [x86_64]=dc31aea5b0fb9fefc9b537a65f4113980b2c40798445736a7e6565bc85161e37
  [aarch64]=dd46e93c0c3a73f6cea8489baff6d77a5d0759dd53fbbce0aeb49c91830176fc
)
declare -A LIB_SHA256=(
  [x86_64]=c76dc0f7839644bfa7c3e3107a6068df714e339c861bb7d4519907b821d427f9
  [aarch64]=4378615ad9710397c96c112611be9018629bbfe38805d91a2663a534b99c28ca
)

say() { printf '[pdfium] %s\n' "$*"; }
die() { printf '[pdfium] error: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 2 ]] || die "usage: $0 x86_64|aarch64 DEST_DIR"
arch=$1 dest=$2
[[ -n ${LIB_SHA256[$arch]:-} ]] || die "unknown architecture $arch (x86_64 or aarch64)"
lib_sum=${LIB_SHA256[$arch]}

if [[ -f $dest/libpdfium.so ]] && echo "$lib_sum  $dest/libpdfium.so" | sha256sum -c --quiet 2>/dev/null; then
  say "PDFium ($arch) already in $dest"
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
python=python3
[[ -x $root/.venv/bin/python ]] && python=$root/.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  --platform "manylinux_2_17_$arch" "pypdfium2==$PYPDFIUM2_VERSION" -d "$tmp"
wheel=$(ls "$tmp"/pypdfium2-*.whl)
echo "${WHEEL_SHA256[$arch]}  $wheel" | sha256sum -c --quiet || die "pypdfium2 wheel checksum mismatch ($arch)"
"$python" - "$wheel" "$tmp/libpdfium.so" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("pypdfium2_raw/libpdfium.so"))
PY
echo "$lib_sum  $tmp/libpdfium.so" | sha256sum -c --quiet || die "libpdfium.so checksum mismatch ($arch)"
mkdir -p "$dest"
mv "$tmp/libpdfium.so" "$dest/libpdfium.so"
say "PDFium ($arch, pypdfium2 $PYPDFIUM2_VERSION) installed in $dest"
