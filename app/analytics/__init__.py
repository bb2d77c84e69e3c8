"""Call analytics, reporting, enterprise reports and AI customer insights (issue 18)."""
