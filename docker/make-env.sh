#!/bin/sh
# Writes the secrets docker-compose.yml needs into .env (compose reads it): the cloud's own MQTT password,
# the database password, and bearer tokens for the operator and the devices with their sha256, which is all the cloud keeps.
# Refuses to overwrite an existing .env: delete it first to start over (devices then need new tokens).
#   docker/make-env.sh [FILE]
set -eu
file=${1:-.env}
if [ -e "$file" ]; then
  echo "$file exists; delete it first to make new secrets" >&2
  exit 1
fi
secret() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
mqtt=$(secret)
operator=$(secret)
device=$(secret)
worker=$(secret)
db=$(secret)
umask 077
cat > "$file" <<ENV
# Written by docker/make-env.sh. Keep it secret; the cloud holds only the sha256 of each token.
TANDEM_MQTT_PASSWORD=$mqtt
TANDEM_DB_PASSWORD=$db
TANDEM_OPERATOR_TOKEN=$operator
TANDEM_DEVICE_TOKEN=$device
TANDEM_WORKER_TOKEN=$worker
TANDEM_AUTH_TOKENS=operator:$(sha "$operator"),device:$(sha "$device"),worker:$(sha "$worker")
ENV
echo "wrote $file (operator token: $operator)"
