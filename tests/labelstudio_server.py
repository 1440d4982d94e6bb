"""Start a real Label Studio server on 127.0.0.1 for the round-trip tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "tolltrace0test0token0000000000000000000"


def label_studio_binary() -> str:
    candidates = [os.environ.get("TOLLTRACE_LS_BIN"), str(REPO / ".venv-ls" / "bin" / "label-studio"),
                  shutil.which("label-studio")]
    for cand in candidates:
        if cand and Path(cand).is_file():
            return cand
    raise RuntimeError("Label Studio is not installed: run `make ls-server` (or set TOLLTRACE_LS_BIN).")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_label_studio(data_dir: Path, timeout: float = 300.0):
    port = _free_port()
    env = dict(os.environ,
               LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
               LABEL_STUDIO_USERNAME="tester@example.com",
               LABEL_STUDIO_PASSWORD="tolltrace-test-pass",
               LABEL_STUDIO_USER_TOKEN=TOKEN,
               LABEL_STUDIO_BASE_DATA_DIR=str(data_dir),
               LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
               SENTRY_DSN="", FRONTEND_SENTRY_DSN="",
               # let this local test server call an ML backend on 127.0.0.1 and register its webhook there
               # (Label Studio blocks local addresses by default, against SSRF)
               ML_BLOCK_LOCAL_IP="false", SSRF_PROTECTION_ENABLED="false")
    log = (data_dir / "server.log").open("w")
    proc = subprocess.Popen(
        [label_studio_binary(), "start", "--no-browser", "--port", str(port), "--internal-host", "127.0.0.1",
         "--data-dir", str(data_dir)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc, timeout, data_dir / "server.log")
        yield url, TOKEN
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_until_healthy(url: str, proc: subprocess.Popen, timeout: float, log_path: Path, interval: float = 1.0) -> None:
    """Poll ``url/health`` until it answers 200; fail early (with the log's tail) if the process exits."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not become healthy within {timeout}s; see {log_path}")
        time.sleep(interval)
