"""docker/entrypoint.sh run directly (no Docker engine here): directories, ownership, setpriv."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ENTRYPOINT = Path(__file__).resolve().parents[2] / "docker" / "entrypoint.sh"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"
)


@pytest.fixture
def root():
    # Not under pytest's 0700 tmp dir: the dropped user must be able to reach these paths.
    path = Path(tempfile.mkdtemp(prefix="harmony-entrypoint-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def run(root: Path, *command: str, as_user: int | None = None, **env: str):
    environ = {
        "PATH": os.environ["PATH"],
        "CONFIG_DIR": str(root / "config"),
        "DOWNLOADS_DIR": str(root / "downloads"),
        "MUSIC_DIR": str(root / "music"),
        **env,
    }
    prefix = [] if as_user is None else ["setpriv", f"--reuid={as_user}", f"--regid={as_user}"]
    prefix += ["--clear-groups", "--"] if prefix else []
    return subprocess.run(
        [*prefix, "/bin/sh", str(ENTRYPOINT), *command],
        env=environ,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_it_creates_and_chowns_the_dirs_then_drops_to_puid_pgid(root):
    (root / "config").mkdir()
    (root / "config" / "harmony.db").write_text("")
    (root / "music" / "Artist").mkdir(parents=True)
    script = 'id -u; id -g; id -G; touch "$CONFIG_DIR/written"; echo "$HOME"'
    result = run(root, "sh", "-c", script, PUID="4321", PGID="8765")
    assert result.returncode == 0, result.stderr
    uid, gid, groups, home = result.stdout.split("\n")[:4]
    assert (uid, gid, groups) == ("4321", "8765", "8765")
    assert home == str(root / "config")
    for name in ("config", "downloads", "music"):
        info = (root / name).stat()
        assert (info.st_uid, info.st_gid) == (4321, 8765)
    assert (root / "config" / "harmony.db").stat().st_uid == 4321  # config: recursive
    assert (root / "config" / "written").stat().st_uid == 4321
    assert (root / "music" / "Artist").stat().st_uid == 0  # library: top level only


def test_defaults_are_1000(root):
    result = run(root, "id", "-u")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1000"


@pytest.mark.parametrize("puid", ["abc", "-1", "10 0"])
def test_a_non_numeric_puid_is_refused_with_one_line(root, puid):
    result = run(root, "id", "-u", PUID=puid)
    assert result.returncode == 64
    assert "PUID must be a number" in result.stderr
    assert not (root / "config").exists()


def test_as_non_root_it_just_execs_the_command(root):
    result = run(root, "id", "-u", as_user=4321)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4321"
    assert not (root / "config").exists()  # nothing to create or chown without root
