#!/usr/bin/env bash
# Builds what AWS Lambda runs, for one architecture (default arm64, the template's default):
#   scripts/build-artifacts.sh [x86_64|arm64]
# into target/lambda/<arch>/:
#   intake/bootstrap, processor/bootstrap, dlq/bootstrap   the three functions, built by
#       cargo-lambda with Zig in the `dist` profile (thin LTO) and linked against glibc 2.34,
#       the glibc of provided.al2023 (`--target <triple>.2.34`)
#   pdfium-layer/lib/libpdfium.so                          the PDFium layer (/opt/lib on Lambda),
#       from the pinned pypdfium2 wheel (scripts/fetch-pdfium.sh checks its sha256)
#   artifacts.txt                                          what was built: sizes, glibc floors
# Then it checks every artifact: the ELF machine matches <arch>, and no file needs a glibc
# symbol version above 2.34 (scripts/check-glibc.sh). It fails when one does, so nothing that
# would die at exec on Lambda leaves this script.
# cargo-lambda and Zig come from .venv (scripts/setup.sh installs them, pinned; it is run when
# they are missing). arm64 needs the aarch64 standard library, which this script does not
# download: `rustup target add aarch64-unknown-linux-gnu` once on the build machine.
# `sam build` runs this through sam/Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

GLIBC_FLOOR=2.34          # Amazon Linux 2023 (provided.al2023)
CARGO_LAMBDA_VERSION=1.9.2
FUNCTIONS=(intake processor dlq)

say() { printf '[artifacts] %s\n' "$*"; }
die() { printf '[artifacts] error: %s\n' "$*" >&2; exit 1; }

arch=${1:-arm64}
case "$arch" in
  x86_64) triple=x86_64-unknown-linux-gnu wheel_arch=x86_64 machine='X86-64' ;;
  arm64 | aarch64) arch=arm64 triple=aarch64-unknown-linux-gnu wheel_arch=aarch64 machine='AArch64' ;;
  *) die "usage: $0 [x86_64|arm64] (the template's Architecture)" ;;
esac
out=$ROOT/target/lambda/$arch

# cargo-lambda (with the ziglang wheel) from the repository's venv.
if ! .venv/bin/cargo-lambda lambda --version 2>/dev/null | grep -q "$CARGO_LAMBDA_VERSION"; then
  say "cargo-lambda $CARGO_LAMBDA_VERSION is not in .venv: running scripts/setup.sh"
  bash scripts/setup.sh
fi
export PATH=$ROOT/.venv/bin:$PATH

# The target's standard library: cargo-lambda cross-links with Zig, but Rust needs its std.
sysroot=$(rustc --print sysroot)
if [[ ! -d $sysroot/lib/rustlib/$triple/lib ]]; then
  die "the Rust standard library for $triple is not installed. Install it once with
    rustup target add $triple
(it downloads from the Rust distribution server), then run this again."
fi

started=$(date +%s)
say "building ${FUNCTIONS[*]} for $arch ($triple, glibc $GLIBC_FLOOR, profile dist)"
bins=()
for f in "${FUNCTIONS[@]}"; do bins+=(--bin "$f"); done
# Only the three functions' directories are replaced; a stale bootstrap never survives a build.
for f in "${FUNCTIONS[@]}"; do rm -f "$out/$f/bootstrap"; done
cargo lambda build --locked --profile dist --target "$triple.$GLIBC_FLOOR" \
  -p drawings-lambdas "${bins[@]}" --lambda-dir "$out"
compiled=$(date +%s)

bash scripts/fetch-pdfium.sh "$wheel_arch" "$out/pdfium-layer/lib"

files=()
for f in "${FUNCTIONS[@]}"; do
  [[ -x $out/$f/bootstrap ]] || die "cargo lambda build left no $out/$f/bootstrap"
  files+=("$out/$f/bootstrap")
done
files+=("$out/pdfium-layer/lib/libpdfium.so")

for file in "${files[@]}"; do
  got=$(readelf --file-header "$file" | sed -n 's/^ *Machine: *//p')
  [[ $got == *"$machine"* ]] || die "$file is built for $got, not $arch"
done
bash scripts/check-glibc.sh "$GLIBC_FLOOR" "${files[@]}"

{
  echo "architecture: $arch ($triple)"
  echo "glibc floor: $GLIBC_FLOOR"
  echo "compile seconds: $((compiled - started))"
  for file in "${files[@]}"; do
    newest=$(readelf --version-info --wide "$file" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/Name: //' | sort -uV | tail -1)
    printf '%s: %s bytes, needs %s\n' "${file#"$ROOT"/}" "$(stat -c %s "$file")" "${newest:-no versioned glibc}"
  done
} >"$out/artifacts.txt"
sed 's/^/[artifacts] /' "$out/artifacts.txt"
say "done in $(($(date +%s) - started)) s: $out"
