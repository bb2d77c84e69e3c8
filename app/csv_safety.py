"""CSV cells that spreadsheets cannot run.

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or a
tab / carriage return before one) as a formula, so a caller's name like
`=HYPERLINK(...)` would run on the owner's computer. Every export writes its
rows through `safe_writer`, which prefixes such cells with an apostrophe
(OWASP's advice; the cell then shows the text as typed).
"""
from __future__ import annotations

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def unneutralise(text: str) -> str:
    """Undo `safe_cell` when our own export is imported again ('+1555... -> +1555...)."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def safe_writer(buffer, **kwargs) -> _SafeWriter:
    """csv.writer whose every cell (header included) is neutralised."""
    return _SafeWriter(csv.writer(buffer, **kwargs))
