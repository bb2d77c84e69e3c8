"""Two-way SMS and email with contacts, saved templates, quiet hours and missed-call text-back."""
