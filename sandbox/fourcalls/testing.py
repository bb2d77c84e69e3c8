"""Run the 4calls sandbox as a real subprocess from tests.

    from sandbox.fourcalls.testing import running_fourcalls

    with running_fourcalls(tmp_path, call_interval=0) as fourcalls:
        fourcalls.api_base        # http://127.0.0.1:PORT/api/coordinator
        fourcalls.platform_key
        fourcalls.set_faults(error_rate=0.5)
        fourcalls.generate_call(org_id, outcome="booked")
        fourcalls.state(org_id)

Keyword options become CLI flags (call_interval=5 -> --call-interval 5; True -> bare flag).
Unless given, generated calls are off (call_interval=0) and chat streams fast, so tests
only see what they cause.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from .options import DEFAULT_PLATFORM_KEY, DEFAULT_WEBHOOK_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DEFAULTS = {"call_interval": 0, "chat_token_delay_ms": 2}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _flags(options: dict) -> list[str]:
    flags = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is not None and value is not False:
            flags += [flag, str(value)]
    return flags


class SandboxHandle:
    def __init__(self, data_path: Path, platform_key: str, webhook_secret: str, options: dict,
                 host: str = "127.0.0.1", port: int | None = None):
        self.data_path = data_path
        self.platform_key = platform_key
        self.webhook_secret = webhook_secret
        self.options = options
        self.host = host
        self.port = port or free_port(host)
        self.log_path = data_path.with_suffix(".log")
        self.process: subprocess.Popen | None = None
        self._admin = httpx.Client(timeout=60)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url + "/api/coordinator"

    # ----- lifecycle -----
    def start(self, timeout: float = 20.0) -> None:
        env = {**os.environ, "FOURCALLS_API_KEY": self.platform_key,
               "FOURCALLS_WEBHOOK_SECRET": self.webhook_secret, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "sandbox.fourcalls", "--host", self.host, "--port", str(self.port),
                   "--data", str(self.data_path), *_flags(self.options)]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"4calls sandbox exited with {self.process.returncode}; see {self.log_path}")
            try:
                if self._admin.get(self.url + "/_sandbox/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"4calls sandbox did not become healthy in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same data file and port."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._admin.close()

    # ----- conveniences -----
    def client(self, key: str | None = None, **kwargs) -> httpx.Client:
        """An httpx client on the API base, authenticated with `key` (platform key by default)."""
        headers = {"Authorization": f"Bearer {key or self.platform_key}", **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.api_base, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def _admin_call(self, method: str, path: str, **kwargs):
        response = self._admin.request(method, self.url + "/_sandbox" + path, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_faults(self, **faults) -> dict:
        """Replace the fault configuration, e.g. set_faults(error_rate=0.2, latency_ms=50,
        rate_limit_burst={"every": 10, "length": 3, "retry_after": 2}, drop_rate=0.1, phase="after")."""
        return self._admin_call("POST", "/faults", json=faults)

    def faults(self) -> dict:
        return self._admin_call("GET", "/faults")

    def clear_faults(self) -> dict:
        return self._admin_call("DELETE", "/faults")

    def settings(self, **changes) -> dict:
        """Read or change call_interval, campaign_interval, chat_token_delay_ms at run time."""
        if changes:
            return self._admin_call("POST", "/settings", json=changes)
        return self._admin_call("GET", "/settings")

    def generate_call(self, org_id: str, **overrides) -> dict:
        """One call now; overrides: direction, status, outcome, contact_id, coordinator_id, caller_name, caller_number."""
        return self._admin_call("POST", f"/organizations/{org_id}/calls", json=overrides)

    def seed(self, org_id: str, calls: int = 0, contacts: int = 0, appointments: int = 0, **extra) -> dict:
        body = {"calls": calls, "contacts": contacts, "appointments": appointments, **extra}
        return self._admin_call("POST", f"/organizations/{org_id}/seed", json=body)

    def state(self, org_id: str, full: bool = False, ids: bool = True) -> dict:
        params = {"full": "true" if full else "false", "ids": "true" if ids else "false"}
        return self._admin_call("GET", f"/organizations/{org_id}/state", params=params)

    def webhooks(self, org_id: str | None = None, event_type: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("organization_id", org_id), ("type", event_type)) if v}
        return self._admin_call("GET", "/webhooks", params=params)["data"]

    def inbound_message(self, org_id: str, sender: str, body: str, channel: str = "sms") -> dict:
        """A customer writes in (fires message.received)."""
        return self._admin_call("POST", f"/organizations/{org_id}/messages/inbound",
                                json={"from": sender, "body": body, "channel": channel})


@contextmanager
def running_fourcalls(data_dir, *, platform_key: str = DEFAULT_PLATFORM_KEY,
                      webhook_secret: str = DEFAULT_WEBHOOK_SECRET, host: str = "127.0.0.1",
                      port: int | None = None, **options) -> Iterator[SandboxHandle]:
    """Start the sandbox on a free port with its data in data_dir; stop it on exit."""
    data_dir = Path(data_dir)
    data_path = data_dir if data_dir.suffix in (".sqlite3", ".db") else data_dir / "fourcalls-sandbox.sqlite3"
    data_path.parent.mkdir(parents=True, exist_ok=True)
    handle = SandboxHandle(data_path, platform_key, webhook_secret, {**TEST_DEFAULTS, **options},
                           host=host, port=port)
    for attempt in range(3):
        try:
            handle.start()
            break
        except RuntimeError:
            if attempt == 2 or port is not None:
                handle.close()
                raise
            handle.port = free_port(host)  # the port was probably taken in the meantime
    try:
        yield handle
    finally:
        handle.close()
