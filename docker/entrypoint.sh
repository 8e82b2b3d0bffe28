#!/bin/sh
# Harmony container entrypoint (docs/install/docker.md).
#
# As root: create CONFIG_DIR, DOWNLOADS_DIR and MUSIC_DIR, give them to PUID:PGID (default
# 1000:1000, LinuxServer.io style), then drop to that user with setpriv and exec the command
# (default: python manage.py harmony_serve, which migrates and serves).
# Started as a non-root user (`docker run --user`): nothing to drop, exec directly.
# CONFIG_DIR is chowned recursively (it is small and Harmony must own its keys and database);
# DOWNLOADS_DIR and MUSIC_DIR only at the top, because a large library or a volume shared
# with slskd must not be rewritten on every start.
set -eu

PUID="${PUID:-1000}"
PGID="${PGID:-1000}"
CONFIG_DIR="${CONFIG_DIR:-/config}"
DOWNLOADS_DIR="${DOWNLOADS_DIR:-/downloads}"
MUSIC_DIR="${MUSIC_DIR:-/music}"
umask "${UMASK:-022}"

fail() {
    echo "harmony entrypoint: $*" >&2
    exit 64
}

case "$PUID" in '' | *[!0-9]*) fail "PUID must be a number, got '$PUID'" ;; esac
case "$PGID" in '' | *[!0-9]*) fail "PGID must be a number, got '$PGID'" ;; esac

if [ "$#" -eq 0 ]; then
    set -- python manage.py harmony_serve
fi

if [ "$(id -u)" != "0" ]; then
    exec "$@"
fi

[ "$PUID" != "0" ] || echo "harmony entrypoint: warning: running as root (PUID=0)" >&2

mkdir -p "$CONFIG_DIR" "$DOWNLOADS_DIR" "$MUSIC_DIR"
chown -R "$PUID:$PGID" "$CONFIG_DIR"
chown "$PUID:$PGID" "$DOWNLOADS_DIR" "$MUSIC_DIR"

# Tools that look at $HOME (pip, gunicorn) get a directory the user owns.
export HOME="$CONFIG_DIR"
exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"
