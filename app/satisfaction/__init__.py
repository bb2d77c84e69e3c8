"""Owners' monthly 1–5 rating of the AI services (plan section 14's satisfaction KPI)."""
