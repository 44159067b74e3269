#!/usr/bin/env bash
# The agent's jar on linux-aarch64, under qemu-aarch64 user-mode emulation (issue 9, point 7).
#
#   bench/arm64-qemu.sh [FRAMES]
#
# Builds an arm64 Java sysroot from Debian's own arm64 packages (apt-get download is not enough without
# the arm64 architecture, which must not be added here: it would upgrade the system JDK; the same .deb
# files are fetched from the Debian mirror this machine uses), makes its absolute symlinks relative, and
# runs edge-agent.jar under qemu-aarch64 with the shipped INT8 student-tiny on FRAMES labelled Fashion-MNIST
# test frames, no broker (the shipped-model path). The same run on the host's x86-64 JVM gives the frames'
# accuracy to compare with. Emulated speed is not a figure to compare. Needs qemu-user (apt-get install
# qemu-user, as root) and ./mvnw -B package.
set -euo pipefail
cd "$(dirname "$0")/.."
FRAMES=${1:-300}
JAR=$PWD/edge-student/target/edge-agent.jar
MODEL=$PWD/edge-student/src/test/resources/models/student-tiny-int8-qdq.onnx
MANIFEST=$PWD/edge-student/src/test/resources/models/student-tiny.manifest.pb
DATA=/usr/share/datasets/fashion-mnist
command -v qemu-aarch64 > /dev/null || { echo "qemu-aarch64 missing: apt-get install -y qemu-user" >&2; exit 2; }
[[ -f $JAR ]] || { echo "missing $JAR: run ./mvnw -B package" >&2; exit 2; }
ROOT=${TANDEM_ARM64_ROOT:-$HOME/.cache/tandem/arm64-root}
if [[ ! -x $ROOT/usr/lib/jvm/java-17-openjdk-arm64/bin/java ]]; then
  DEBS=$(mktemp -d)
  for pkg in libc6 libgcc-s1 libstdc++6 zlib1g openjdk-17-jre-headless; do
    version=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    apt-cache show "$pkg=$version" > "$DEBS/$pkg.info"
    file=$(awk '/^Filename:/ {print $2}' "$DEBS/$pkg.info" | sed 's/_amd64\.deb$/_arm64.deb/')
    case $file in pool/updates/*) base=http://deb.debian.org/debian-security ;; *) base=http://deb.debian.org/debian ;; esac
    echo "fetching $base/$file"
    curl -fsSL -o "$DEBS/$(basename "$file")" "$base/$file"
  done
  mkdir -p "$ROOT"
  for deb in "$DEBS"/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
  # Absolute symlinks would point into the host's own /usr: make them relative to the sysroot.
  find "$ROOT" -type l | while read -r link; do
    target=$(readlink "$link")
    if [[ $target == /* ]]; then
      ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$ROOT$target")" "$link"
    fi
  done
  rm -rf "$DEBS"
fi
ARM_JAVA=$ROOT/usr/lib/jvm/java-17-openjdk-arm64/bin/java

run() { # $1 = label, rest = java command
  local label=$1; shift
  local work; work=$(mktemp -d)
  local start; start=$(date +%s)
  "$@" -Xmx128m -jar "$JAR" --device "$label" --work-dir "$work" --feed-images "$DATA/t10k-images-idx3-ubyte.gz" \
    --feed-labels "$DATA/t10k-labels-idx1-ubyte.gz" --model "$MODEL" --manifest "$MANIFEST" \
    --mqtt tcp://127.0.0.1:1 --frames-per-version "$FRAMES" --telemetry-ms 1000 --ota-latency-factor 0 \
    > "$work/agent.log" 2>&1 &
  local pid=$!
  local done=0
  for _ in $(seq 1 1200); do
    if [[ -f $work/status.json ]] && python3 -c "import json,sys; s=json.load(open('$work/status.json')); sys.exit(0 if s['inferences'] >= $FRAMES else 1)" 2>/dev/null; then
      done=1; break
    fi
    kill -0 $pid 2> /dev/null || break
    sleep 1
  done
  local elapsed=$(( $(date +%s) - start ))
  kill $pid 2> /dev/null || true; wait $pid 2> /dev/null || true
  if [[ $done != 1 ]]; then echo "$label: did not finish; log:" >&2; tail -20 "$work/agent.log" >&2; return 1; fi
  python3 - "$work/status.json" "$label" "$elapsed" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
v = s["versions"][0]
print(f"{sys.argv[2]}: {v['frames']} frames answered by {v['version']}, accuracy {v['accuracy']:.4f}, "
      f"model latency p50 {s['latency_p50_ms']:.3f} ms, wall {sys.argv[3]} s (start included)")
PY
  grep -m1 "java.vm\|os.arch" "$work/agent.log" || true
}

echo "host: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "emulated JVM: $(qemu-aarch64 -L "$ROOT" "$ARM_JAVA" -XshowSettings:properties -version 2>&1 | grep -m1 'os.arch' | xargs)"
run x86-64 java
run aarch64-qemu qemu-aarch64 -L "$ROOT" "$ARM_JAVA"
