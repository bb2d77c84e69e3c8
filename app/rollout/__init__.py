"""Staged rollout of AI packages (plan section 13): beta, limited, general."""
