"""The smaller holes of issue 14, point 6: each one a behaviour that used to be wrong."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import stat
import threading

import pytest
import yaml
from django.core.cache import cache
from django.test import Client

from accounts import services
from harmony_site import config, logs
from harmony_site.api.parsers import MAX_JSON_DEPTH
from harmony_site.secrets import encrypt_secret

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # API-key failure counters live in the cache
    yield
    cache.clear()


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def admin_api() -> Client:
    _, key = services.create_api_key(name="admin", role="admin", actor="test")
    return Client(raise_request_exception=False, headers={"X-API-Key": key})


# --- keys and tokens in URLs never reach the log ---------------------------------------------


@pytest.fixture
def django_request_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.HarmonyJsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_keys_in_query_strings_are_redacted_from_djangos_request_log(client, django_request_log):
    _, key = services.create_api_key(name="ha", role="viewer", actor="test")
    assert client.get(f"/api/v1/status?api_key={key}&page=2").status_code == 401
    client.get("/api/v1/status?access_token=never-registered-9f8e7d&page=3")
    output = django_request_log.getvalue()
    assert "WSGIRequest" in output  # the logger did write the request with its query string
    assert key not in output and key.partition(".")[2] not in output
    assert "never-registered-9f8e7d" not in output
    assert "page=2" in output and "page=3" in output


def test_secrets_that_pass_through_encryption_are_never_logged():
    encrypt_secret("slskd-key-from-the-form-31337")
    assert "slskd-key-from-the-form-31337" not in logs.redact("key=slskd-key-from-the-form-31337")


@pytest.mark.django_db
def test_created_api_keys_are_registered_as_secrets():
    _, key = services.create_api_key(name="ci", role="viewer", actor="test")
    assert key not in logs.redact(f"oops: {key}")


def test_registered_secrets_are_bounded():
    for n in range(logs.MAX_REGISTERED + 10):
        logs.register_secret(f"rotating-token-{n:04}")
    assert "rotating-token-0000" in logs.redact("rotating-token-0000")  # the oldest expired
    assert "rotating-token-" not in logs.redact(f"rotating-token-{logs.MAX_REGISTERED + 9:04}")


# --- the database and CONFIG_DIR are private ---------------------------------------------------


def test_config_dir_is_0700_and_the_sqlite_files_0600(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir(mode=0o755)
    loaded = config.load({"CONFIG_DIR": str(folder)})
    assert mode_of(loaded.config_dir) == 0o700
    database = folder / "harmony.db"
    config.ensure_private_sqlite(database)
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    for name in ("harmony.db", "harmony.db-wal", "harmony.db-shm"):
        assert mode_of(folder / name) == 0o600, name
    connection.close()


def test_files_an_older_version_created_are_narrowed(tmp_path):
    database = tmp_path / "harmony.db"
    for name in ("harmony.db", "harmony.db-wal"):
        (tmp_path / name).touch(mode=0o644)
    config.ensure_private_sqlite(database)
    assert mode_of(database) == mode_of(tmp_path / "harmony.db-wal") == 0o600


# --- JSON nested too deep is a 400 on every JSON endpoint --------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/keys"),
        ("post", "/api/v1/downloads"),
        ("post", "/api/v1/downloads/list"),
        ("patch", "/api/v1/settings"),
        ("post", "/api/v1/watchlists"),
        ("post", "/api/v1/dlq/requeue"),
    ],
)
@pytest.mark.parametrize("depth", [1000, MAX_JSON_DEPTH + 1])
def test_deeply_nested_json_is_a_400(method, path, depth):
    client = admin_api()
    response = getattr(client, method)(path, nested(depth), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.django_db
def test_json_within_the_depth_limit_still_parses():
    client = admin_api()
    # An object holding lists nested to exactly the limit.
    body = {"links": ["https://open.spotify.com/track/x"], "extra": json.loads(nested(31))}
    response = client.post("/api/v1/downloads", body, content_type="application/json")
    assert MAX_JSON_DEPTH == 32
    assert response.status_code != 500
    assert response.json().get("error", {}).get("code") != "parse_error"


# --- PATCH /api/v1/settings with HARMONY_API_KEYS -----------------------------------------------


@pytest.mark.django_db
def test_patching_harmony_api_keys_stores_them_encrypted_and_start_up_reads_them(settings_yml):
    keys = ["first-key-0123456789", "second-key-abcdefghij"]
    response = admin_api().patch(
        "/api/v1/settings", {"HARMONY_API_KEYS": ",".join(keys)}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == ["HARMONY_API_KEYS"]
    stored = yaml.safe_load(settings_yml.read_text())["HARMONY_API_KEYS"]
    assert stored.startswith(config.ENCRYPTED_PREFIX) and keys[0] not in stored
    knob = config.KNOBS_BY_NAME["HARMONY_API_KEYS"]
    raw = config.decrypt_file_value(settings_yml.parent, knob, stored, origin="t")
    assert config.coerce(knob, raw, origin="t") == keys  # what the next start reads
    # Saving the same keys again changes nothing.
    again = admin_api().patch(
        "/api/v1/settings", {"HARMONY_API_KEYS": keys}, content_type="application/json"
    )
    assert again.json()["changed"] == []


@pytest.mark.django_db
def test_a_short_harmony_api_key_is_refused_before_it_could_stop_start_up(settings_yml):
    response = admin_api().patch(
        "/api/v1/settings", {"HARMONY_API_KEYS": "short"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "HARMONY_API_KEYS" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_patch_while_harmony_api_keys_is_set_in_the_environment(monkeypatch, settings_yml):
    cfg = config.get_config()
    monkeypatch.setitem(cfg.values, "HARMONY_API_KEYS", ["env-key-0123456789abc"])
    monkeypatch.setenv("HARMONY_API_KEYS", "env-key-0123456789abc")
    client = Client(headers={"X-API-Key": "env-key-0123456789abc"})
    ok = client.patch("/api/v1/settings", {"HDM_WORKERS": 3}, content_type="application/json")
    assert ok.status_code == 200
    pinned = client.patch(
        "/api/v1/settings", {"HARMONY_API_KEYS": "x" * 20}, content_type="application/json"
    )
    assert pinned.status_code == 409
    assert pinned.json()["error"]["code"] == "env_override"


# --- "Test slskd" never sends the saved key to a typed URL ---------------------------------------


@pytest.mark.django_db
def test_slskd_test_with_a_new_url_needs_the_key_typed_again(fake_slskd, tmp_path):
    from tests.fakes.slskd import FakeSlskd

    admin = services.create_user(username="adm", password=PASSWORD, role="admin", actor="t")
    client = Client()
    client.force_login(admin)
    # Another server that would accept the saved key if it were sent there.
    with FakeSlskd(downloads_dir=tmp_path / "other", api_key=fake_slskd.api_key) as thief:
        html = client.post("/ui/settings/slskd/test", {"SLSKD_URL": thief.url}).content.decode()
        assert "type the slskd API key again" in html
        assert "Connected" not in html
        typed = {"SLSKD_URL": thief.url, "SLSKD_API_KEY": fake_slskd.api_key}
        assert "Connected" in client.post("/ui/settings/slskd/test", typed).content.decode()
    saved = client.post("/ui/settings/slskd/test", {"SLSKD_URL": fake_slskd.url})
    assert "Connected" in saved.content.decode()


# --- the wrong-key counter is atomic -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_guessers_get_no_more_than_the_limit(settings):
    settings.API_KEY_FAILURE_LIMIT = 20
    services.create_api_key(name="real", role="admin", actor="test")
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def guess(n: int) -> None:
        client = Client(raise_request_exception=False)
        start.wait()
        for attempt in range(5):
            key = f"wrongpre.{n:02}-{attempt}-guess"
            status = client.get("/api/v1/status", headers={"X-API-Key": key}).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 80
    assert statuses.count(401) == 20
    assert statuses.count(429) == 60


# --- chunked bodies are refused rather than read as empty ----------------------------------------


@pytest.mark.django_db
def test_a_chunked_api_body_is_refused_with_411():
    client = admin_api()
    response = client.post(
        "/api/v1/downloads",
        json.dumps({"links": ["x"]}),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json()["error"]["code"] == "length_required"
