# Harmony container image (docs/install/docker.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONFIG_DIR=/config \
    DOWNLOADS_DIR=/downloads \
    MUSIC_DIR=/music \
    HTTP_BIND=0.0.0.0:8080 \
    OAUTH_CALLBACK_BIND=0.0.0.0:8888 \
    PUID=1000 \
    PGID=1000

WORKDIR /app

# fpcalc (Chromaprint) for acoustic fingerprints; Harmony runs without it, with a warning.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libchromaprint-tools \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first: this layer is reused until requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Static files are baked into the image; the throw-away CONFIG_DIR keeps /config empty.
# Bytecode too: PYTHONDONTWRITEBYTECODE keeps the running container from writing any, so
# without it every process start would compile Harmony's modules again (docs/benchmarks.md).
RUN CONFIG_DIR=/tmp/build-config python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q /app "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && rm -rf /tmp/build-config \
    && chmod 0755 docker/entrypoint.sh

VOLUME ["/config", "/downloads", "/music"]
# 8080: web UI and API. 8888: the Spotify OAuth callback (publish it on 127.0.0.1 only).
EXPOSE 8080 8888

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; port = os.environ.get('HTTP_BIND', '0.0.0.0:8080').rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/api/health/live', timeout=4)"

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["python", "manage.py", "harmony_serve"]
