"""Start the test provider as a real HTTP server (gunicorn) on 127.0.0.1, stop it after."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30


@dataclass(frozen=True)
class Provider:
    site_url: str
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.site_url}/openid"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def provider_environment(directory: Path, site_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("COOPCTG_", "DJANGO_", "DATABASE_URL", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_TEST_SITE_URL": site_url,
            "OIDC_TEST_DB": str(directory / "provider.sqlite3"),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextlib.contextmanager
def running_provider(directory: Path) -> Iterator[Provider]:
    """Prepares the provider's own database in ``directory``, serves it on a free port until
    it answers its discovery document, and stops it when the block ends."""
    site_url = f"http://127.0.0.1:{free_port()}"
    env = provider_environment(directory, site_url)
    subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.bootstrap"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log_path = directory / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tests.oidc_provider.wsgi:application",
                "--bind",
                site_url.removeprefix("http://"),
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            provider = Provider(site_url=site_url, log=log_path)
            _wait_until_up(process, provider)
            yield provider
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen, provider: Provider) -> None:
    url = f"{provider.issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Le fournisseur de test s'est arrêté :\n{provider.log.read_text()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"Le fournisseur de test ne répond pas :\n{provider.log.read_text()}")
