#!/usr/bin/env bash
# Training speed of distill (DJL, libtorch 2.7.1) against the same loops in PyTorch (Debian's python3-torch),
# one after the other on the same machine and thread count. Usage: bench/train-speed.sh [IMAGES] [THREADS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-10000}; threads=${2:-2}; repeats=${3:-3}
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "needs Debian's python3-torch: apt-get install python3-torch" >&2
  exit 1
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
/usr/bin/python3 bench/pytorch_train_speed.py "$images" "$threads" "$repeats"
OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" \
  -cp "distill/target/classes:$(cat distill/target/runtime-classpath.txt)" io.tandem.distill.cli.DistillCli \
  speed --images "$images" --repeats "$repeats" 2>&1 | grep -E '^djl'
