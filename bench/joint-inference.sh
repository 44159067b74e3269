#!/usr/bin/env bash
# Joint inference against cloud-only and edge-only on the same frames, and the teacher endpoint under load
# (issue 9, targets 2 and 3). Options: see --help (frames, budget, deadline, runs, rates, out).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f fleet-sim/target/runtime-classpath.txt && -f cloud-teacher/target/quarkus-app/quarkus-run.jar ]] \
  || ./mvnw -q -B -DskipTests install
exec java -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
  -cp "fleet-sim/target/classes:$(cat fleet-sim/target/runtime-classpath.txt)" io.tandem.fleet.bench.JointBench "$@"
