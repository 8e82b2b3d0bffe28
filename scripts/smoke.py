"""Smoke test of a release: a fresh Harmony downloads one track end to end and stops cleanly.

    .venv/bin/python scripts/smoke.py [--keep]

Starts the fake slskd (real FLAC, auto mode) and the fake Spotify as subprocesses, then
`manage.py harmony_serve` from an empty temporary CONFIG_DIR on free loopback ports; waits for
`/api/health/ready`, checks that harmony.db and harmony.yml were created, submits one track
(`POST /api/v1/downloads`), polls `GET /api/v1/downloads/{id}` until the job is done, checks
the file is in MUSIC_DIR and parses, then SIGTERMs harmony_serve and expects exit 0 within
10 s. Prints one line per step; exits 1 at the first failure with the reason and a log tail.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.live_stack import Stack, StackError, wait_for
from tests.fakes.live import catalogue_track

JOB_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0


def step(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def check_first_boot(stack: Stack) -> None:
    for name in ("harmony.db", "harmony.yml"):
        if not (stack.config_dir / name).is_file():
            raise StackError(f"{name} was not created in {stack.config_dir}")
    step("harmony.db and harmony.yml created in the fresh CONFIG_DIR")


def submit_one(stack: Stack) -> int:
    status, body = stack.api("POST", "/api/v1/downloads", catalogue_track(0))
    if status != 201 or not isinstance(body, dict) or not body.get("job"):
        raise StackError(f"POST /api/v1/downloads answered {status}: {body}")
    job_id = int(body["job"]["id"])
    step(f"submitted job {job_id} ({body['job'].get('label', '')})")
    return job_id


def wait_until_done(stack: Stack, job_id: int) -> dict:
    def finished() -> dict | None:
        status, body = stack.api("GET", f"/api/v1/downloads/{job_id}")
        if status != 200:
            raise StackError(f"GET /api/v1/downloads/{job_id} answered {status}: {body}")
        return body if body["state"] in ("done", "dead", "cancelled") else None

    job = wait_for(finished, timeout=JOB_TIMEOUT_S, what=f"job {job_id} to finish", interval=0.5)
    if job["state"] != "done":
        reasons = [event.get("reason") for event in job.get("timeline", [])]
        raise StackError(f"job {job_id} ended {job['state']}: {job.get('last_error')} {reasons}")
    return job


def check_in_library(stack: Stack, job: dict) -> Path:
    import mutagen

    files = [p for p in stack.music_dir.rglob("*") if p.is_file() and p.suffix == ".flac"]
    if len(files) != 1:
        raise StackError(f"expected one FLAC under MUSIC_DIR, found {[str(f) for f in files]}")
    if mutagen.File(files[0]) is None:
        raise StackError(f"{files[0]} does not parse as audio")
    if job.get("library_path") and not str(files[0]).endswith(str(job["library_path"])):
        raise StackError(f"the job reports {job['library_path']} but the file is {files[0]}")
    step(f"in the library: {files[0].relative_to(stack.music_dir)}")
    return files[0]


def stop_cleanly(stack: Stack) -> None:
    code, seconds = stack.stop_harmony(timeout=STOP_TIMEOUT_S)
    if code is None:
        raise StackError(f"harmony_serve did not stop within {STOP_TIMEOUT_S:.0f} s of SIGTERM")
    if code != 0:
        raise StackError(f"harmony_serve exited {code} after SIGTERM")
    step(f"SIGTERM: harmony_serve exited 0 in {seconds:.1f} s")


def run(root: Path) -> None:
    with Stack(root, tracks=1) as stack:
        step(f"fake slskd on {stack.slskd_url}, fake Spotify on port {stack.spotify_port}")
        try:
            seconds = stack.start_harmony()
            step(f"ready at {stack.url}/api/health/ready after {seconds:.1f} s")
            check_first_boot(stack)
            began = time.monotonic()
            job = wait_until_done(stack, submit_one(stack))
            step(f"job done in {time.monotonic() - began:.1f} s")
            check_in_library(stack, job)
            stop_cleanly(stack)
        except StackError:
            print(stack.tail(), file=sys.stderr)
            raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="harmony-smoke-"))
    try:
        run(root)
    except StackError as exc:
        print(f"smoke: FAILED: {exc} (logs in {root / 'logs'})", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("smoke: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
