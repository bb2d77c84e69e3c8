"""Server-rendered charts (no chart library, no JavaScript)."""
