"""Local stand-in for the 4calls.ai Coordinator API (see README.md)."""
from .app import create_sandbox_app
from .options import SandboxOptions

__all__ = ["create_sandbox_app", "SandboxOptions"]
