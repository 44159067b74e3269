#!/bin/sh
# Runs Mosquitto on the password and ACL files the Tandem cloud writes (tandem.mqtt.auth-dir), and has it
# read them again (SIGHUP) whenever they change, so credentials issued or revoked while it runs take effect
# within seconds. Mosquitto drops root for its own user, so it reads copies this script keeps, owned by that
# user and readable by nobody else. Used by docker-compose.yml and by the test that runs Mosquitto.
#   mosquitto-run.sh CONF   (env: TANDEM_MQTT_AUTH_DIR, TANDEM_MQTT_RUN_DIR, TANDEM_MQTT_AUTH_POLL_S)
set -eu
conf=${1:-/mosquitto/config/mosquitto.conf}
auth=${TANDEM_MQTT_AUTH_DIR:-/mosquitto/auth}
run=${TANDEM_MQTT_RUN_DIR:-/mosquitto/run}
poll=${TANDEM_MQTT_AUTH_POLL_S:-2}

echo "mosquitto-run: waiting for $auth/passwords and $auth/acl from the cloud"
while [ ! -s "$auth/passwords" ] || [ ! -s "$auth/acl" ]; do sleep 1; done

stamp() { cat "$auth/passwords" "$auth/acl" | cksum; }
copy() {
  mkdir -p "$run"
  for f in passwords acl; do
    cp "$auth/$f" "$run/$f.new"
    if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then chown mosquitto "$run/$f.new"; fi
    chmod 600 "$run/$f.new"
    mv "$run/$f.new" "$run/$f"
  done
}

last=$(stamp)
copy
mosquitto -c "$conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid"; exit 0' TERM INT
while kill -0 "$pid" 2>/dev/null; do
  sleep "$poll"
  now=$(stamp)
  if [ "$now" != "$last" ]; then
    last=$now
    copy
    kill -HUP "$pid"
    echo "mosquitto-run: credentials changed, Mosquitto reloaded them"
  fi
done
wait "$pid"
