"""Start a sandbox in a subprocess for tests: `with running_stripe(tmp_path) as stripe_sandbox: ...`."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .config import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]


class SandboxRequestError(Exception):
    def __init__(self, status: int, body: Any):
        super().__init__(f"sandbox answered {status}: {body}")
        self.status = status
        self.body = body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningStripe:
    """Handle on a running sandbox process."""

    def __init__(self, url: str, api_key: str, webhook_secret: str, data_path: Path, log_path: Path,
                 process: subprocess.Popen):
        self.url = url
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.data_path = data_path
        self.log_path = log_path
        self.process = process

    # --- admin helpers ---------------------------------------------------------------

    def _call(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raw = error.read().decode("utf-8")
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw
            raise SandboxRequestError(error.code, parsed) from None

    def health(self) -> dict:
        return self._call("GET", "/_sandbox/health")

    def pay(self, session_id: str, card: str = "4242424242424242", email: Optional[str] = None) -> dict:
        """Pays a Checkout Session like the hosted page does; raises SandboxRequestError on decline."""
        body: dict = {"card_number": card}
        if email:
            body["email"] = email
        return self._call("POST", f"/_sandbox/checkout/{session_id}/pay", body)

    def advance(self, subscription_id: str) -> dict:
        return self._call("POST", f"/_sandbox/subscriptions/{subscription_id}/advance")

    def set_faults(self, **faults) -> dict:
        return self._call("POST", "/_sandbox/faults", faults)

    def clear_faults(self) -> dict:
        return self._call("DELETE", "/_sandbox/faults")

    def webhook_log(self) -> list[dict]:
        return self._call("GET", "/_sandbox/webhooks")["deliveries"]

    def wait_for_webhooks(self, predicate: Callable[[list[dict]], bool], timeout: float = 10.0) -> list[dict]:
        deadline = time.time() + timeout
        while True:
            log = self.webhook_log()
            if predicate(log) or time.time() > deadline:
                return log
            time.sleep(0.05)

    # --- stripe-python helpers -------------------------------------------------------

    def client(self, **options):
        """A stripe.StripeClient pointed at this sandbox."""
        import stripe

        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.url}, **options)


def _wait_until_healthy(handle: RunningStripe, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"stripe sandbox exited early:\n{_tail(handle.log_path)}")
        try:
            handle.health()
            return
        except (OSError, SandboxRequestError):
            time.sleep(0.05)
    raise RuntimeError(f"stripe sandbox not healthy after {timeout}s:\n{_tail(handle.log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running_stripe(data_dir, webhook_url: Optional[str] = None, **options) -> Iterator[RunningStripe]:
    """Runs `python -m sandbox.stripe` on a free port with its SQLite file in `data_dir`.

    `options` are CLI flags in Python spelling: api_key, webhook_secret, business_name,
    portal_proration_behavior, webhook_retry_base, webhook_max_attempts, error_rate,
    latency_ms, rate_limit_every, drop_rate, public_url; plus `port` and `startup_timeout`.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_path = data_dir / "stripe-sandbox.sqlite3"
    startup_timeout = float(options.pop("startup_timeout", 20.0))
    port = int(options.pop("port", 0)) or free_port()
    api_key = options.pop("api_key", None) or DEFAULT_API_KEY
    webhook_secret = options.pop("webhook_secret", None) or DEFAULT_WEBHOOK_SECRET
    command = [sys.executable, "-m", "sandbox.stripe", "--port", str(port), "--data", str(data_path),
               "--api-key", api_key, "--webhook-secret", webhook_secret, "--quiet"]
    if webhook_url:
        command += ["--webhook-url", webhook_url]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    log_path = data_dir / f"stripe-sandbox-{port}.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(command, cwd=str(REPO_ROOT), env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    handle = RunningStripe(f"http://127.0.0.1:{port}", api_key, webhook_secret, data_path, log_path, process)
    try:
        _wait_until_healthy(handle, startup_timeout)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
