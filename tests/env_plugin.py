"""Loaded by pytest before pytest-django imports the settings (`-p tests.env_plugin`).

Points every path knob at a throw-away directory so a test run never touches ./config,
./data/downloads or ./data/music, and each xdist worker gets its own test database file.
"""

import os
import tempfile
from pathlib import Path

_root = Path(tempfile.mkdtemp(prefix="harmony-test-"))
for _name in ("CONFIG_DIR", "DOWNLOADS_DIR", "MUSIC_DIR"):
    _path = _root / _name.split("_")[0].lower()
    _path.mkdir()
    os.environ[_name] = str(_path)
os.environ.setdefault("LOG_LEVEL", "WARNING")
