import pytest

from app.extensions import limiter


@pytest.fixture(autouse=True)
def _keep_the_suite_rate_limiter():
    """Each create_app() points the one module-level limiter at its own storage;
    a drill's app (on a Redis that is then stopped) must not leave the rest of
    the suite's app counting in it."""
    saved = (limiter._storage, limiter._limiter)
    yield
    limiter._storage, limiter._limiter = saved
