#!/usr/bin/env bash
# `make smoke-lsio [IMAGE=harmony:local]`: run the image as LinuxServer.io users do (PUID/PGID,
# /config /downloads /music volumes) and check that it comes up and stops cleanly:
# /api/health/live answers, harmony.yml and harmony.db are created in /config owned by PUID,
# and `docker stop` ends it with exit 0. Without a Docker engine it says SKIPPED and exits 0.
set -euo pipefail
image=${1:-harmony:local}
if ! docker info >/dev/null 2>&1; then
  echo "smoke-lsio: SKIPPED: no Docker engine answers here (docker info failed)"
  exit 0
fi
root=$(mktemp -d)
name="harmony-smoke-$$"
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$root"; }
trap cleanup EXIT
mkdir -p "$root/config" "$root/downloads" "$root/music"
uid=$(id -u) gid=$(id -g)
docker run -d --name "$name" -e PUID="$uid" -e PGID="$gid" \
  -v "$root/config:/config" -v "$root/downloads:/downloads" -v "$root/music:/music" \
  -p 127.0.0.1::8080 "$image" >/dev/null
port=$(docker port "$name" 8080/tcp | head -n1 | awk -F: '{print $NF}')
deadline=$((SECONDS + 120))
until curl -fsS "http://127.0.0.1:$port/api/health/live" >/dev/null 2>&1; do
  if (( SECONDS > deadline )); then
    docker logs "$name" | tail -n 40
    echo "smoke-lsio: FAILED: /api/health/live did not answer within 120 s"; exit 1
  fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$name")" != "true" ]; then
    docker logs "$name" | tail -n 40
    echo "smoke-lsio: FAILED: the container exited while starting"; exit 1
  fi
  sleep 1  # a polling step; the deadline above decides
done
echo "smoke-lsio: /api/health/live answers on 127.0.0.1:$port"
for file in harmony.yml harmony.db; do
  [ -f "$root/config/$file" ] || { echo "smoke-lsio: FAILED: /config/$file missing"; exit 1; }
  owner=$(stat -c %u "$root/config/$file")
  [ "$owner" = "$uid" ] || { echo "smoke-lsio: FAILED: /config/$file owned by $owner, not PUID $uid"; exit 1; }
done
echo "smoke-lsio: harmony.yml and harmony.db created in /config, owned by PUID $uid"
docker stop -t 20 "$name" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = "0" ] || { echo "smoke-lsio: FAILED: exit $code after docker stop"; exit 1; }
echo "smoke-lsio: stopped cleanly (exit 0); passed"
