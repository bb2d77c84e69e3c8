"""The owner's dashboard: call statistics, live call feed, appointments, assistant status, usage and sync."""
