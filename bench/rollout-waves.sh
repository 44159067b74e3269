#!/usr/bin/env bash
# Rollout plans on a fleet of simulated devices (issue 11's target): a good model in 4 waves through a kill -9 of
# the cloud, then a worse one that must stop in its first wave. Options: --devices, --waves, --report-every-ms.
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/lib/common.sh
require_debian "$FASHION_MNIST" "$MOSQUITTO"
build_if_stale
run_fleet_sim io.tandem.fleet.bench.RolloutBench "$@"
