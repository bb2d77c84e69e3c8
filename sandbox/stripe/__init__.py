"""A local Stripe sandbox that stripe-python talks to as if it were api.stripe.com.

Run it with `python -m sandbox.stripe --port 12111`; see README.md beside this file.
"""

from .app import create_app
from .config import MODELLED_API_VERSION, SandboxConfig

__all__ = ["create_app", "SandboxConfig", "MODELLED_API_VERSION"]
