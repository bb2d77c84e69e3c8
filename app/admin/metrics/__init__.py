"""Operator metrics computed from immutable records (docs/metrics.md)."""
