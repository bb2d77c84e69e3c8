"""Outbound campaigns: audiences, contact-local calling windows, retries, do-not-call, live results."""
