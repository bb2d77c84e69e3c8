"""Exit 0 when PostgreSQL and Redis are reachable for the second test run,
creating the test database when missing; exit 1 (with a reason) otherwise."""
from __future__ import annotations

import os
import sys

ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
_SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
TEST_DATABASES = tuple(f"{name}{_SUFFIX}" for name in ("alphasite_test", "alphasite_test_browser", "alphasite_test_migrations"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def main() -> int:
    try:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            for name in TEST_DATABASES:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 1
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        print(f"Redis not reachable ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
