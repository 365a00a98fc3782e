# Sourced by the bench scripts: the build profile they measure and the
# binary it makes. PAI_BENCH_PROFILE=dist (the default: the peak-speed
# profile of releases) or release (the quick-start profile), to compare them.
profile="${PAI_BENCH_PROFILE:-dist}"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
export PAI_BENCH_BIN="$target/$profile/pai-engine"
echo "profile: $profile ($PAI_BENCH_BIN)"
