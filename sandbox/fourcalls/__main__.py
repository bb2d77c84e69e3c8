"""python -m sandbox.fourcalls --port 8765 [options]: run the 4calls sandbox."""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_sandbox_app
from .options import DEFAULT_DATA_PATH, SandboxOptions
from .workers import start_workers, stop_workers


class QuietRequestHandler(WSGIRequestHandler):
    """The app logs each request itself (without secrets); werkzeug's own line is redundant."""

    def log_request(self, code="-", size="-"):
        pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = SandboxOptions()
    parser = argparse.ArgumentParser(prog="python -m sandbox.fourcalls", description=__doc__)
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=8765)
    add("--data", default=DEFAULT_DATA_PATH, help="SQLite file (parent directories are created)")
    add("--call-interval", type=float, default=defaults.call_interval,
        help="mean seconds between generated inbound calls per active organization; 0 disables")
    add("--dial-seconds", type=float, default=defaults.dial_seconds,
        help="seconds a per-target campaign dial rings before its result")
    add("--campaign-interval", type=float, default=defaults.campaign_interval,
        help="seconds between dials of a running campaign")
    add("--chat-token-delay-ms", type=float, default=defaults.chat_token_delay_ms)
    add("--webhook-url", default=None, help="fallback endpoint for organizations without webhook_url")
    add("--webhook-secret", default=None, help="default: env FOURCALLS_WEBHOOK_SECRET or fc_whsec_sandbox")
    add("--webhook-max-attempts", type=int, default=defaults.webhook_max_attempts)
    add("--webhook-retry-base", type=float, default=defaults.webhook_retry_base,
        help="seconds before the first retry; doubles each attempt")
    add("--error-rate", type=float, default=0.0)
    add("--latency-ms", type=float, default=0.0)
    add("--rate-limit-every", type=int, default=0, help="in every N API requests ...")
    add("--rate-limit-length", type=int, default=0, help="... the last M answer 429")
    add("--rate-limit-retry-after", type=int, default=1)
    add("--drop-rate", type=float, default=0.0)
    add("--seed", type=int, default=None, help="seed for generated content")
    add("--quiet", action="store_true", help="do not log requests")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> SandboxOptions:
    options = SandboxOptions(
        webhook_url=args.webhook_url, webhook_max_attempts=args.webhook_max_attempts,
        webhook_retry_base=args.webhook_retry_base, call_interval=args.call_interval,
        campaign_interval=args.campaign_interval, dial_seconds=args.dial_seconds, chat_token_delay_ms=args.chat_token_delay_ms,
        seed=args.seed, error_rate=args.error_rate, latency_ms=args.latency_ms,
        rate_limit_every=args.rate_limit_every, rate_limit_length=args.rate_limit_length,
        rate_limit_retry_after=args.rate_limit_retry_after, drop_rate=args.drop_rate,
        log_requests=not args.quiet)
    if args.webhook_secret:
        options.webhook_secret = args.webhook_secret
    return options


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_sandbox_app(args.data, options_from(args))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=QuietRequestHandler)
    # Daemon request threads, so a stuck client cannot hold up shutdown.
    server.daemon_threads = True
    start_workers(app)

    def shut_down(signum, _frame):
        logging.getLogger("fourcalls.sandbox").info("signal %s: shutting down", signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shut_down)
    logging.getLogger("fourcalls.sandbox").info(
        "4calls sandbox listening on http://%s:%d/api/coordinator (data: %s)", args.host, server.port, args.data)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_workers(app)
        server.server_close()
        app.extensions["fourcalls"].store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
