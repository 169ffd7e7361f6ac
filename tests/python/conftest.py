"""Starts one real `tarnd` process for the Python SDK tests, on a free loopback port and a fresh data
directory. The binary comes from TARND_BIN, or from the Cargo target directory."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest


def _tarnd_binary() -> str:
    if os.environ.get("TARND_BIN"):
        return os.environ["TARND_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "target")
    return os.path.join(target, "debug", "tarnd")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def tarnd_url():
    binary = _tarnd_binary()
    if not os.path.exists(binary):
        pytest.fail(f"tarnd binary not found at {binary}: build it first (scripts/test.sh does)")
    data = tempfile.mkdtemp(prefix="tarn-py-")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(os.path.join(data, "tarnd.log"), "wb")
    process = subprocess.Popen(
        [binary, "--data-dir", os.path.join(data, "node"), "--http-addr", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"tarnd exited with {process.returncode}; log in {log.name}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            process.kill()
            pytest.fail("tarnd did not become ready within 60 s")
        time.sleep(0.1)
    yield url
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("tarnd did not stop within 30 s of SIGTERM")
    assert process.returncode == 0, f"tarnd exited with {process.returncode} after SIGTERM"
