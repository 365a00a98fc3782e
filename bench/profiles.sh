#!/usr/bin/env bash
# The two build profiles side by side (docs/BENCHMARKS.md "Build profiles"):
# a clean build of `pai-engine` with `release` (the quick start's) and with
# `dist` (peak speed: benchmarks, releases), wall and CPU time, then the same
# benchmarks with each binary. Builds go to their own target directory
# ($PROFILES_TARGET, default bench/out/profiles-target), emptied first, so
# both are clean builds. BENCHES picks the benchmarks (default: validate
# read_table train).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${PROFILES_TARGET:-bench/out/profiles-target}"
benches="${BENCHES:-validate read_table train}"
mkdir -p bench/out
rm -rf "$target"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
for p in release dist; do
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "bench/out/build-$p.cpu" \
    cargo build --profile "$p" --locked --quiet --target-dir "$target" -p pai-engine
  end=$(date +%s.%N)
  read -r user sys <"bench/out/build-$p.cpu"
  awk -v p="$p" -v a="$start" -v b="$end" -v u="$user" -v s="$sys" \
    'BEGIN { printf "build %-7s wall %6.1f s  cpu %6.1f s\n", p, b - a, u + s }'
done
for p in release dist; do
  echo "== benchmarks, profile $p"
  for b in $benches; do
    case "$b" in
      validate) PAI_BENCH_BIN="$target/$p/pai-engine" python3 bench/validate.py ;;
      *) CARGO_TARGET_DIR="$target" PAI_BENCH_PROFILE="$p" bash "bench/$b.sh" ;;
    esac
  done
done
