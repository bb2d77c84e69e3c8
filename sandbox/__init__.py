"""Local stand-ins for third-party services the app talks to (no internet here)."""
