"""Applying 4calls data to the local CRM tables and keeping it in sync; see upserts.py and services.py."""
