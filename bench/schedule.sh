#!/usr/bin/env bash
# Trigger benchmark: fire latency (slot time -> run start) and CPU with
# 1,000 schedules firing every second for 60 s on one process, then idle.
# Usage: bash bench/schedule.sh [SCHEDULES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/profile.sh
cargo run --profile "$profile" -q -p pai-trigger --example trigger_bench -- "${1:-1000}" "${2:-60}"
