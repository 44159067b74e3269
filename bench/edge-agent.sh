#!/usr/bin/env bash
# Throughput, latency and memory of the agent's one runnable jar (issue 9, targets 1 and 8).
#
#   bench/edge-agent.sh [RUNS] [SECONDS]
#
# The agent runs the shipped INT8 student-tiny (the QDQ fixture distill quantize made) on core 0 only
# (taskset -c 0), with its budget gate (10% uploads, 1% audits), results and telemetry going to a real MQTT
# broker (local-stack, on core 1). It answers Fashion-MNIST test frames as fast as it can; throughput is the
# change in its answered frames over SECONDS of steady state, read from its status file. Idle RSS is read
# with the model loaded at 1 frame/s; RSS under load at the end of each run. Needs ./mvnw -B package first.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECONDS_PER_RUN=${2:-15}
JAR=edge-student/target/edge-agent.jar
MODEL=edge-student/src/test/resources/models/student-tiny-int8-qdq.onnx
MANIFEST=edge-student/src/test/resources/models/student-tiny.manifest.pb
DATA=/usr/share/datasets/fashion-mnist
for f in "$JAR" local-stack/target/runtime-classpath.txt "$DATA/t10k-images-idx3-ubyte.gz"; do
  [[ -e $f ]] || { echo "missing $f: run ./mvnw -B package (and bin/tandem-test for the data set)" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/tandem-edge-bench.XXXXXX)
MQTT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KAFKA_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CTRL_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 1 java -Xmx512m -cp "local-stack/target/classes:$(cat local-stack/target/runtime-classpath.txt)" \
  io.tandem.localstack.LocalStack --mqtt-port "$MQTT_PORT" --kafka-port "$KAFKA_PORT" \
  --kafka-controller-port "$CTRL_PORT" --data-dir "$WORK/stack" > "$WORK/stack.log" 2>&1 &
STACK=$!
AGENT=
trap 'kill $STACK ${AGENT:-} 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q READY "$WORK/stack.log" && break; sleep 0.5; done
grep -q READY "$WORK/stack.log" || { echo "local-stack did not start" >&2; tail "$WORK/stack.log" >&2; exit 1; }

status() { python3 - "$1" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
    print(s["inferences"], s["latency_p50_ms"], s["latency_p99_ms"], s["hard_examples_sent"], s["hard_examples_failed"])
except Exception:
    print("0 0 0 0 0")
PY
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

start_agent() { # $1 = work dir, $2 = fps
  taskset -c 0 java -XX:+UseSerialGC -Xmx96m -jar "$JAR" --device bench --work-dir "$1" \
    --mqtt "tcp://127.0.0.1:$MQTT_PORT" --feed-images "$DATA/t10k-images-idx3-ubyte.gz" \
    --feed-labels "$DATA/t10k-labels-idx1-ubyte.gz" --model "$MODEL" --manifest "$MANIFEST" \
    --upload-fraction 0.1 --audit-fraction 0.01 --fps "$2" --telemetry-ms 500 > "$1.log" 2>&1 &
  AGENT=$!
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "jar: $JAR $(du -h "$JAR" | cut -f1)"
start_agent "$WORK/idle" 1
sleep 10
echo "idle RSS (model loaded, 1 frame/s): $(rss_mb $AGENT) MB"
kill $AGENT; wait $AGENT 2>/dev/null || true

for run in $(seq 1 "$RUNS"); do
  start_agent "$WORK/run$run" 0
  sleep 8   # start, JIT warm-up
  read -r i1 _ _ _ _ < <(status "$WORK/run$run/status.json"); t1=$(date +%s.%N)
  sleep "$SECONDS_PER_RUN"
  read -r i2 p50 p99 sent dropped < <(status "$WORK/run$run/status.json"); t2=$(date +%s.%N)
  rss=$(rss_mb $AGENT)
  python3 -c "import sys; i1,i2,t1,t2=map(float,sys.argv[1:5]); print(f'run $run: {(i2-i1)/(t2-t1):.0f} inferences/s on one core, model latency p50 $p50 ms p99 $p99 ms, hard examples queued $sent dropped $dropped, RSS under load $rss MB')" "$i1" "$i2" "$t1" "$t2"
  kill $AGENT; wait $AGENT 2>/dev/null || true
done
