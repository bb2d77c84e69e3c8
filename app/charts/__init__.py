"""Server-rendered charts (no chart library, no JavaScript), one home for both kinds:
`styled` (colours from app.css classes, with a data table; the owner's analytics)
and `svg` (explicit colours, negative stacks, linked bars; the operator console)."""
