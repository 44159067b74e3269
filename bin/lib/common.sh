# Sourced by the scripts in bin/ and bench/: what they need from Debian, and a build when the sources changed.

# require_debian PACKAGE=PROBE ...: each package is present when its probe file exists (a glob may stand for a
# version in the path; checked rather than dpkg state, so a package removed by hand is noticed). Installs the missing ones as root; otherwise prints
# the exact apt-get line and exits 1.
require_debian() {
  local missing=() pair
  for pair in "$@"; do
    compgen -G "${pair#*=}" >/dev/null || missing+=("${pair%%=*}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages. Install them, then run this again:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
}

FASHION_MNIST=dataset-fashion-mnist=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
MOSQUITTO=mosquitto=/usr/sbin/mosquitto

# build_if_stale: ./mvnw install (no tests) when a built artifact is missing or a source is newer than it.
build_if_stale() {
  local jar=cloud-teacher/target/quarkus-app/quarkus-run.jar
  if [ ! -f "$jar" ] || [ ! -f edge-student/target/edge-agent.jar ] || [ ! -f fleet-sim/target/runtime-classpath.txt ] \
     || [ -n "$(find . -name target -prune -o \( -name '*.java' -o -name '*.proto' -o -name pom.xml \) -newer "$jar" -print -quit)" ]; then
    echo "==> building (./mvnw -DskipTests install)"
    ./mvnw -q -B -DskipTests install
  fi
}

# run_fleet_sim CLASS ARGS...: a fleet-sim main class with DJL kept offline.
run_fleet_sim() {
  local main=$1
  shift
  exec java -Xss512k -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
    -cp "fleet-sim/target/classes:$(cat fleet-sim/target/runtime-classpath.txt)" "$main" "$@"
}
