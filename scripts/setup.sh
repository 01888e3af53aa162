#!/usr/bin/env bash
# Installs everything drawings needs on a fresh Debian machine with Rust and Python 3:
#   - Tesseract OCR with English (Debian's tesseract-ocr, tesseract-ocr-eng) for pages with no
#     text layer, via apt-get when `tesseract` is missing: as root (CI), else through sudo
#   - PDFium (libpdfium.so from the pinned pypdfium2 wheel, sha256-checked) into .pdfium/
#   - a Python venv in .venv with the pinned test tools (moto server, cfn-lint, cargo-lambda,
#     schemathesis)
#   - the crates, fetched once so builds and tests need no network
# Safe to run again: it skips what is already in place and verified.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PYPDFIUM2_VERSION=5.15.2
declare -A WHEEL_SHA256=(
  [x86_64]=dc31aea5b0fb9fefc9b537a65f4113980b2c40798445736a7e6565bc85161e37
  [aarch64]=
)
declare -A LIB_SHA256=(
  [x86_64]=c76dc0f7839644bfa7c3e3107a6068df714e339c861bb7d4519907b821d427f9
  [aarch64]=
)
# pypdfium2 + Pillow: the Python route `cargo bench --bench render` compares against.
# schemathesis: fuzzes `drawings serve` from its /openapi.json (tests/openapi_schemathesis.rs).
PY_TOOLS=("moto[server]==5.2.5" "cfn-lint==1.53.3" "cargo-lambda==1.9.2" "pypdfium2==$PYPDFIUM2_VERSION" "pillow==12.1.1"
  "schemathesis==4.32.5")

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) first"
command -v python3 >/dev/null || die "python3 not found"
python3 -c 'import venv, ensurepip' 2>/dev/null || die "python3 lacks venv/ensurepip: apt-get install python3-venv"

# Tesseract, which the PDF engine runs on pages without a text layer (scans).
if ! command -v tesseract >/dev/null; then
  command -v apt-get >/dev/null || die "tesseract not found and no apt-get: install Tesseract 5 with English data"
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  else
    command -v sudo >/dev/null || die "tesseract not found: run as root, or install sudo, to apt-get install it"
    say "installing tesseract-ocr with sudo (you are not root)"
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng
fi
tesseract --version >/dev/null 2>&1 || die "tesseract is installed but does not run"
tesseract --list-langs 2>/dev/null | grep -qx eng || die "tesseract has no English data: apt-get install tesseract-ocr-eng"
say "Tesseract: $(tesseract --version 2>&1 | head -1)"

# PDFium for this machine (and, for deployment, for aarch64 Lambda).
fetch_pdfium() {
  local arch=$1 dest=$2
  local lib_sum=${LIB_SHA256[$arch]}
  if [[ -n $lib_sum && -f $dest/libpdfium.so ]] && echo "$lib_sum  $dest/libpdfium.so" | sha256sum -c --quiet 2>/dev/null; then
    say "PDFium ($arch) already in $dest"
    return
  fi
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --platform "manylinux_2_17_$arch" \
    "pypdfium2==$PYPDFIUM2_VERSION" -d "$tmp"
  local wheel; wheel=$(ls "$tmp"/pypdfium2-*.whl)
  if [[ -n ${WHEEL_SHA256[$arch]} ]]; then
    echo "${WHEEL_SHA256[$arch]}  $wheel" | sha256sum -c --quiet || die "pypdfium2 wheel checksum mismatch ($arch)"
  fi
  mkdir -p "$dest"
  python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2] + "/libpdfium.so", "wb") as out:
    out.write(z.read("pypdfium2_raw/libpdfium.so"))
PY
  if [[ -n $lib_sum ]]; then
    echo "$lib_sum  $dest/libpdfium.so" | sha256sum -c --quiet || die "libpdfium.so checksum mismatch ($arch)"
  else
    say "no pinned checksum for $arch; recorded: $(sha256sum "$dest/libpdfium.so" | cut -d' ' -f1)"
  fi
  rm -rf "$tmp"
  say "PDFium ($arch, pypdfium2 $PYPDFIUM2_VERSION) installed in $dest"
}

case "$(uname -m)" in
  x86_64) fetch_pdfium x86_64 "$ROOT/.pdfium" ;;
  aarch64) fetch_pdfium aarch64 "$ROOT/.pdfium" ;;
  *) die "unsupported machine $(uname -m)" ;;
esac

# Test tools, pinned, in a venv of their own.
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
# Install when any pinned tool is missing or at another version (`moto[server]` is `moto`).
installed=$(.venv/bin/python -m pip freeze 2>/dev/null || true)
for tool in "${PY_TOOLS[@]}"; do
  name=${tool%%==*}; name=${name%%\[*}
  if ! grep -qix "$name==${tool##*==}" <<<"$installed"; then
    .venv/bin/python -m pip install -q --disable-pip-version-check "${PY_TOOLS[@]}"
    break
  fi
done
.venv/bin/moto_server --help >/dev/null || die "moto server did not install"
.venv/bin/cfn-lint --version >/dev/null || die "cfn-lint did not install"
.venv/bin/schemathesis --version >/dev/null || die "schemathesis did not install"
say "Python tools in .venv: $(.venv/bin/python -m pip freeze | grep -iE '^(moto|cfn-lint|cargo-lambda|pypdfium2|pillow|schemathesis)==' | tr '\n' ' ')"

cargo fetch --locked 2>/dev/null || cargo fetch
say "done. PDFium: $ROOT/.pdfium/libpdfium.so"
