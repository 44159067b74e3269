#!/usr/bin/env bash
# The MQTT -> Kafka bridge with many devices connected (issue 10, target 2). Options: --devices, --samples,
# --in-flight, --mqtt-broker mosquitto|embedded, --bridge-connections (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/lib/common.sh
# The cloud needs a teacher (trained once from Fashion-MNIST and cached); Mosquitto unless --mqtt-broker embedded.
if [[ " $* " == *" embedded "* ]]; then require_debian "$FASHION_MNIST"; else require_debian "$FASHION_MNIST" "$MOSQUITTO"; fi
build_if_stale
run_fleet_sim io.tandem.fleet.bench.BridgeBench "$@"
