"""One shape for bad input across leads and messaging: `errors` maps a form
field to the message shown beside it (routes answer 422 with them)."""
from __future__ import annotations


class FieldErrors(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
