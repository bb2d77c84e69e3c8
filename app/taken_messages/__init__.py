"""Messages the AI took on calls: captured from call data, listed in the
"Messages taken" inbox, shown on the contact's timeline."""
