"""`make run`: the embedded default. Starts the local 4calls and Stripe
sandboxes (when present), points the app at them through the same settings
production uses, runs background jobs in-process and serves on port 5000."""
from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "5000"))
SANDBOXES = {
    # module: (port, env var the app reads, path appended to the URL, webhook path on the app)
    "sandbox.fourcalls": (int(os.environ.get("FOURCALLS_SANDBOX_PORT", "5101")), "FOURCALLS_API_URL", "", "/webhooks/fourcalls"),
    "sandbox.stripe": (int(os.environ.get("STRIPE_SANDBOX_PORT", "5102")), "STRIPE_API_BASE", "", "/webhooks/stripe"),
}
_children: list[subprocess.Popen] = []


def _start_sandbox(module: str, port: int, webhook_path: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return None
    url = f"http://127.0.0.1:{port}"
    data = ROOT / "instance" / f"{module.split('.')[-1]}-sandbox.sqlite3"
    command = [
        sys.executable, "-m", module, "--port", str(port), "--data", str(data),
        "--webhook-url", f"http://{HOST}:{PORT}{webhook_path}",
    ]
    child = subprocess.Popen(command, cwd=ROOT)
    _children.append(child)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_sandbox/health", timeout=1)
            print(f" * {module} sandbox on {url}")
            return url
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{module} sandbox did not start on port {port}")


def _stop_children(*_args):
    for child in _children:
        if child.poll() is None:
            child.terminate()


def main() -> None:
    atexit.register(_stop_children)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    for module, (port, setting, suffix, webhook_path) in SANDBOXES.items():
        if os.environ.get(setting):
            continue  # pointed at a real service, or a sandbox started elsewhere
        url = _start_sandbox(module, port, webhook_path)
        if url:
            os.environ[setting] = url + suffix
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{HOST}:{PORT}")

    from werkzeug.serving import run_simple

    from app import create_app

    # The config classes read the environment when `app` is first imported,
    # which is before the sandbox URLs above were set; hand them over explicitly.
    app = create_app(**{
        name: os.environ[name] for name in ("FOURCALLS_API_URL", "STRIPE_API_BASE", "PUBLIC_BASE_URL")
        if os.environ.get(name)
    })
    queue = app.extensions["job_queue"]
    if hasattr(queue, "start_recurring"):
        queue.start_recurring()
    with app.app_context():
        from app.demo import after_start

        after_start()
    print(f" * AlphaSite AI Services on http://{HOST}:{PORT}  (database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, jobs: {queue.backend})")
    run_simple(HOST, PORT, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
