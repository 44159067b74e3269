#!/usr/bin/env bash
# The MQTT -> Kafka bridge with many devices connected (issue 10, target 2). Options: --devices, --samples,
# --in-flight (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f fleet-sim/target/runtime-classpath.txt && -f cloud-teacher/target/quarkus-app/quarkus-run.jar ]] \
  || ./mvnw -q -B -DskipTests install
exec java -Xss512k -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
  -cp "fleet-sim/target/classes:$(cat fleet-sim/target/runtime-classpath.txt)" io.tandem.fleet.bench.BridgeBench "$@"
