"""The call log: filters, transcript search, call pages and CSV export."""
