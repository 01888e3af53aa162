#!/usr/bin/env bash
# Installs everything drawings needs on a fresh Debian machine with Rust and Python 3:
#   - Tesseract OCR with English (Debian's tesseract-ocr, tesseract-ocr-eng) for pages with no
#     text layer, via apt-get when `tesseract` is missing: as root (CI), else through sudo
#   - wrk (Debian's package), the HTTP load generator scripts/load.sh drives, and faketime, with
#     which scripts/soak.py checks the expiry sweeper, via apt-get when missing, as root or
#     through sudo; without them only those scripts (or that check) cannot run
#   - PDFium (libpdfium.so from the pinned pypdfium2 wheel, sha256-checked) into .pdfium/
#   - a Python venv in .venv with the pinned tools (moto server, cfn-lint, cargo-lambda with
#     Zig for the Lambda bootstraps, schemathesis, the AWS SAM CLI)
#   - the crates, fetched once so builds and tests need no network, and the release build of
#     the CLI (`target/release/drawings`), compiled while the rest installs
# Safe to run again: it skips what is already in place and verified.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PYPDFIUM2_VERSION=5.15.2  # the Python route; scripts/fetch-pdfium.sh pins the same wheel
# pypdfium2 + Pillow: the Python route `cargo bench --bench render` compares against.
# schemathesis: fuzzes `drawings serve` from its /openapi.json (tests/openapi_schemathesis.rs).
# cargo-lambda links the Lambda bootstraps with Zig (the ziglang wheel, pinned here because
# cargo-lambda accepts any ziglang>=0.10), against glibc 2.34 (scripts/build-artifacts.sh).
# aws-sam-cli: `sam validate --lint` in tests/sam_template, offline, and `sam build`/`sam
# deploy` from sam/ (about 70 MB more in .venv; it resolves with the pins above, moving boto3
# to the version it pins). The same version as CI's lint job (.github/workflows/).
PY_TOOLS=("moto[server]==5.2.5" "cfn-lint==1.53.3" "cargo-lambda==1.9.2" "ziglang==0.17.1"
  "pypdfium2==$PYPDFIUM2_VERSION" "pillow==12.1.1" "schemathesis==4.32.5" "aws-sam-cli==1.170.0")

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) first"
command -v python3 >/dev/null || die "python3 not found"
python3 -c 'import venv, ensurepip' 2>/dev/null || die "python3 lacks venv/ensurepip: apt-get install python3-venv"

# The crates first, then the release build of the CLI (the README's first command) in the
# background: compiling is CPU and the installs below are mostly network, so the two overlap
# and a newcomer's first `cargo run --release` finds the binary built. DRAWINGS_SETUP_BUILD=0
# skips the build. Its output goes to target/setup-build.log.
cargo fetch --locked 2>/dev/null || cargo fetch
build_pid=
if [[ "${DRAWINGS_SETUP_BUILD:-1}" != 0 ]]; then
  mkdir -p target
  say "building the CLI (cargo build --release --bin drawings) while the tools install"
  # --timings: target/cargo-timings/ shows where the minutes went, should a first build be slow.
  cargo build --release --locked --bin drawings --timings >target/setup-build.log 2>&1 &
  build_pid=$!
  # A set-up that fails part way does not leave the build running behind it.
  trap '[[ -n "$build_pid" ]] && kill "$build_pid" 2>/dev/null' EXIT
fi

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

# Chromium and its WebDriver, which tests/web_ui.rs drives to test the web UI in a real
# browser (it skips with a note when they are missing; CI installs them here).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if command -v apt-get >/dev/null; then
    if [[ $(id -u) -eq 0 ]]; then
      as_root=()
    elif command -v sudo >/dev/null; then
      say "installing chromium and chromium-driver with sudo (you are not root)"
      as_root=(sudo)
    else
      as_root=(false)
    fi
    if "${as_root[@]}" apt-get update -qq \
      && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; then
      say "Chromium: $(chromium --version 2>/dev/null | head -1)"
    elif [[ "${CI:-}" == "true" ]]; then
      die "could not install chromium and chromium-driver (the browser tests need them in CI)"
    else
      say "chromium/chromium-driver not installed: tests/web_ui.rs will skip"
    fi
  elif [[ "${CI:-}" == "true" ]]; then
    die "chromium and chromedriver not found and no apt-get (the browser tests need them in CI)"
  else
    say "chromium/chromedriver not found and no apt-get: tests/web_ui.rs will skip"
  fi
fi

# wrk, the HTTP load generator of scripts/load.sh (64 connections against `drawings serve`
# on 127.0.0.1). Nothing else needs it, so a machine that cannot install it only skips that.
if ! command -v wrk >/dev/null; then
  if command -v apt-get >/dev/null; then
    if [[ $(id -u) -eq 0 ]]; then
      as_root=()
    elif command -v sudo >/dev/null; then
      say "installing wrk with sudo (you are not root)"
      as_root=(sudo)
    else
      as_root=(false)
    fi
    if "${as_root[@]}" apt-get update -qq \
      && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; then
      say "wrk: $(wrk --version 2>&1 | head -1)"
    else
      say "wrk not installed (needs root or sudo for apt-get): scripts/load.sh will not run"
    fi
  else
    say "wrk not found and no apt-get: scripts/load.sh will not run"
  fi
fi

# faketime (Debian's package), with which scripts/soak.py runs the expiry sweeper 40 days on.
# Nothing else needs it, so a machine that cannot install it only skips that check.
if ! command -v faketime >/dev/null; then
  if command -v apt-get >/dev/null && { [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; }; then
    as_root=(); [[ $(id -u) -eq 0 ]] || as_root=(sudo)
    { "${as_root[@]}" apt-get update -qq \
      && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; } \
      || say "faketime not installed: scripts/soak.py will skip its sweeper check"
  else
    say "faketime not found and no apt-get as root: scripts/soak.py will skip its sweeper check"
  fi
fi

# PDFium for this machine (the Lambda layers' libraries: scripts/build-artifacts.sh).
case "$(uname -m)" in
  x86_64) bash scripts/fetch-pdfium.sh x86_64 "$ROOT/.pdfium" ;;
  aarch64) bash scripts/fetch-pdfium.sh aarch64 "$ROOT/.pdfium" ;;
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
.venv/bin/sam --version >/dev/null || die "the AWS SAM CLI did not install"
say "Python tools in .venv: $(.venv/bin/python -m pip freeze | grep -iE '^(moto|cfn-lint|cargo-lambda|ziglang|pypdfium2|pillow|schemathesis|aws-sam-cli)==' | tr '\n' ' ')"

if [[ -n "$build_pid" ]]; then
  if ! wait "$build_pid"; then
    tail -n 30 target/setup-build.log >&2
    die "the release build failed (target/setup-build.log)"
  fi
  build_pid=
  say "CLI built: target/release/drawings"
fi
say "done. PDFium: $ROOT/.pdfium/libpdfium.so"
