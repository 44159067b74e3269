#!/bin/sh
# Provisions devices against a running Tandem cloud: for each device id, issues its MQTT password
# (POST /api/devices/ID/credentials) into OUT/ID.mqtt-password, and writes the model-signing key the devices
# pin (GET /api/keys/current) into OUT/cloud-key.pub. A device that already has a password file keeps it.
#   provision-devices.sh OUT DEVICE...   (env: TANDEM_URL, TANDEM_OPERATOR_TOKEN)
set -eu
out=$1
shift
url=${TANDEM_URL:-http://127.0.0.1:8080}
auth=""
if [ -n "${TANDEM_OPERATOR_TOKEN:-}" ]; then auth="Authorization: Bearer $TANDEM_OPERATOR_TOKEN"; fi
call() { curl -fsS --retry 60 --retry-delay 2 --retry-all-errors -H "${auth:-X-No-Auth: 1}" -H "Accept: text/plain" "$@"; }

umask 077
mkdir -p "$out"
call "$url/api/keys/current" > "$out/cloud-key.pub.new"
mv "$out/cloud-key.pub.new" "$out/cloud-key.pub"
for device in "$@"; do
  if [ -s "$out/$device.mqtt-password" ]; then
    echo "provision: $device already has a password"
    continue
  fi
  call -X POST "$url/api/devices/$device/credentials" > "$out/$device.mqtt-password.new"
  mv "$out/$device.mqtt-password.new" "$out/$device.mqtt-password"
  echo "provision: issued MQTT credentials to $device"
done
