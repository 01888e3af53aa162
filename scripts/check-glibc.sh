#!/usr/bin/env bash
# Checks that ELF files run on a glibc no newer than a floor, as the Lambda runtime
# provided.al2023 has glibc 2.34:
#   scripts/check-glibc.sh 2.34 target/lambda/x86_64/*/bootstrap target/lambda/x86_64/pdfium-layer/lib/libpdfium.so
# For each file it prints the newest GLIBC_x.y symbol version the file needs (from the ELF's
# version-needs section, `readelf --version-info`: what the dynamic loader checks at exec). It
# exits 1, naming the symbols, when any file needs a version above the floor, and 2 when a file
# is missing or not a dynamically linked ELF. Works on any architecture's ELF (readelf reads
# them all).
set -euo pipefail

say() { printf '[glibc] %s\n' "$*"; }
die() { printf '[glibc] error: %s\n' "$*" >&2; exit 2; }

[[ $# -ge 2 ]] || die "usage: $0 MAX_VERSION FILE..."
floor=$1
shift
[[ $floor =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || die "MAX_VERSION must look like 2.34, not $floor"
command -v readelf >/dev/null || die "readelf not found (Debian: apt-get install binutils)"

# Is version $1 newer than version $2?
newer() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1) == "$1" ]]; }

failed=0
for file in "$@"; do
  [[ -f $file ]] || die "$file does not exist"
  needs=$(readelf --version-info --wide "$file" 2>/dev/null) || die "$file is not an ELF file"
  versions=$(grep -o 'Name: GLIBC_[0-9.]*' <<<"$needs" | sed 's/Name: GLIBC_//' | sort -uV || true)
  if [[ -z $versions ]]; then
    readelf --dynamic "$file" 2>/dev/null | grep -q NEEDED || die "$file is not dynamically linked"
    say "$file: needs no versioned glibc symbol"
    continue
  fi
  newest=$(tail -1 <<<"$versions")
  if newer "$newest" "$floor"; then
    failed=1
    too_new=$(while read -r v; do
      if newer "$v" "$floor"; then echo "GLIBC_$v"; fi
    done <<<"$versions" | tr '\n' ' ')
    symbols=$(readelf --dyn-syms --wide "$file" | grep -oE '[A-Za-z0-9_.]+@GLIBC_[0-9.]+' |
      while IFS=@ read -r sym ver; do
        if newer "${ver#GLIBC_}" "$floor"; then echo "$sym@$ver"; fi
      done | sort -u | tr '\n' ' ')
    printf '[glibc] %s: needs GLIBC_%s > %s (%s): %s\n' "$file" "$newest" "$floor" "${too_new% }" "${symbols% }" >&2
  else
    say "$file: newest GLIBC_$newest <= $floor"
  fi
done
if [[ $failed -ne 0 ]]; then
  printf '[glibc] error: built for a newer glibc than %s; it would not start there. Link against glibc %s (cargo lambda build --target <triple>.%s).\n' "$floor" "$floor" "$floor" >&2
  exit 1
fi
