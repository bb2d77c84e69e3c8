"""Stripe billing for AI packages: checkout, webhooks, the subscription lifecycle, plan changes."""
