"""The audit log: `record()` appends, `entries_for()` reads; nothing updates or deletes."""
