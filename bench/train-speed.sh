#!/usr/bin/env bash
# Training speed of distill (DJL, libtorch 2.7.1) against the same loops in PyTorch (Debian's python3-torch),
# on the same machine and thread count. The two sides take turns for ROUNDS rounds (PyTorch, then DJL), so
# that drifts in this shared machine's speed hit both; each side warms up with untimed epochs (15 s per loop)
# and then times REPEATS epochs of each loop. Prints every epoch, each round's medians and DJL time / PyTorch time per
# round, then the median of those ratios.
# Usage: bench/train-speed.sh [IMAGES] [THREADS] [ROUNDS] [REPEATS] [WHAT: teacher,student]
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-10000}; threads=${2:-2}; rounds=${3:-3}; repeats=${4:-3}; what=${5:-teacher,student}
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "needs Debian's python3-torch: apt-get install python3-torch" >&2
  exit 1
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $images images, $threads threads"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for round in $(seq "$rounds"); do
  /usr/bin/python3 bench/pytorch_train_speed.py "$images" "$threads" "$repeats" "$what" | sed "s/^/round $round /" | tee -a "$log"
  OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" \
    -cp "distill/target/classes:$(cat distill/target/runtime-classpath.txt)" io.tandem.distill.cli.DistillCli \
    speed --images "$images" --repeats "$repeats" --what "$what" 2>&1 | grep -E '^djl' | sed "s/^/round $round /" | tee -a "$log"
done
# Lines read "round R SIDE ... LOOP epoch E: X images/s". Per round and loop: the median of each side's
# epochs and DJL time / PyTorch time; then, per loop, the median of the per-round ratios.
awk '
  function median(list, count,   i, j, t) {
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (list[j] < list[i]) { t = list[i]; list[i] = list[j]; list[j] = t }
    return count % 2 ? list[(count + 1) / 2] : (list[count / 2] + list[count / 2 + 1]) / 2
  }
  { side = ($3 == "pytorch") ? "pytorch" : "djl"; loop = $(NF - 4); key = loop " " $2
    seen[key] = loop; v[key, side, ++n[key, side]] = $(NF - 1) }
  END {
    for (key in seen) {
      for (s = 1; s <= 2; s++) {
        side = s == 1 ? "pytorch" : "djl"; delete a
        for (i = 1; i <= n[key, side]; i++) a[i] = v[key, side, i]
        m[side] = median(a, n[key, side])
      }
      ratio = m["pytorch"] / m["djl"]; loop = seen[key]; r[loop, ++rn[loop]] = ratio
      printf "%s round %s: pytorch %.1f images/s, djl %.1f images/s, djl time / pytorch time %.2fx\n", loop, substr(key, length(loop) + 2), m["pytorch"], m["djl"], ratio
    }
    for (loop in rn) { delete a; for (i = 1; i <= rn[loop]; i++) a[i] = r[loop, i]
      printf "%s: median djl time / pytorch time over %d rounds %.2fx\n", loop, rn[loop], median(a, rn[loop]) }
  }' "$log" | sort
