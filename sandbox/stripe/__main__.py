"""Command line entry point: `python -m sandbox.stripe --port N [...]`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from werkzeug.serving import make_server

from .app import create_app
from .config import DEFAULT_DATA_PATH, PRORATION_BEHAVIORS, FaultSettings, SandboxConfig


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.stripe", description="Local Stripe API sandbox.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", default=DEFAULT_DATA_PATH, help="SQLite file (parent dirs are created)")
    parser.add_argument("--webhook-url", help="endpoint that receives signed event POSTs")
    parser.add_argument("--webhook-secret", help="signing secret (default $STRIPE_WEBHOOK_SECRET or whsec_sandbox)")
    parser.add_argument("--api-key", help="accepted secret key (default $STRIPE_SECRET_KEY or sk_test_sandbox)")
    parser.add_argument("--public-url", help="base URL put in checkout/portal/invoice links "
                                             "(default http://HOST:PORT)")
    parser.add_argument("--business-name", default="AlphaSite AI Services", help="merchant name on hosted pages")
    parser.add_argument("--portal-proration-behavior", choices=PRORATION_BEHAVIORS, default="create_prorations")
    parser.add_argument("--webhook-max-attempts", type=int, default=8)
    parser.add_argument("--webhook-retry-base", type=float, default=1.0,
                        help="seconds before the first retry; doubles on each further attempt")
    faults = parser.add_argument_group("fault injection (applies to /v1 only)")
    faults.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 500 api_error")
    faults.add_argument("--latency-ms", type=int, default=0, help="delay added to every request")
    faults.add_argument("--rate-limit-every", type=int, default=0, help="every Nth request gets a 429")
    faults.add_argument("--drop-rate", type=float, default=0.0, help="share of requests whose socket is closed")
    parser.add_argument("--quiet", action="store_true", help="don't log each request")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    config = SandboxConfig.from_env(
        host=args.host,
        port=args.port,
        data_path=args.data,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        api_key=args.api_key,
        public_url=args.public_url,
        business_name=args.business_name,
        portal_proration_behavior=args.portal_proration_behavior,
        webhook_max_attempts=args.webhook_max_attempts,
        webhook_retry_base_seconds=args.webhook_retry_base,
        faults=FaultSettings(error_rate=args.error_rate, latency_ms=args.latency_ms,
                             rate_limit_every=args.rate_limit_every, drop_rate=args.drop_rate),
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(config)
    server = make_server(config.host, config.port, app, threaded=True)

    def stop_on_sigterm(_signum, _frame):
        # Unwinds serve_forever like Ctrl-C so the webhook thread and SQLite close cleanly.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    print(f"Stripe sandbox listening on {config.base_url} (data: {config.data_path})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["stripe_sandbox"].stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
