#!/usr/bin/env bash
# The dashboard's targets (issue 11): first paint with --devices devices and --versions model versions in headless
# Chromium, and the API's read latency open loop at --rps requests a second. Runs the cloud in its test harness on
# embedded brokers (DashboardLoadBench); figures are printed and written to cloud-teacher/target/dashboard-bench.json.
# Options: --devices N (1000) --versions N (20) --rps N (200) --seconds N (15) --loads N (7).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/lib/common.sh
require_debian chromium=/usr/bin/chromium
props=(-Dbench.dashboard=true)
while [ $# -gt 0 ]; do
  case "$1" in
    --devices|--versions|--rps|--seconds|--loads) props+=("-Dbench.dashboard.${1#--}=$2"); shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
./mvnw -q -B -DskipTests install -pl cloud-teacher -am
./mvnw -B test -pl cloud-teacher -Dtest=DashboardLoadBench -Dsurefire.failIfNoSpecifiedTests=false "${props[@]}" \
  | grep -E "dashboard bench:|Tests run:|ERROR|FAIL"
