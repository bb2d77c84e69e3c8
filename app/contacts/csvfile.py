"""Reading an uploaded CSV: encoding, dialect, and what is wrong with it, in words."""
from __future__ import annotations

import csv
import io

MAX_ROWS = 50_000


class CsvProblem(ValueError):
    pass


def decode_upload(data: bytes) -> tuple[str, str]:
    """(text, encoding name). UTF-8 (with or without BOM) first; files saved by
    older spreadsheet programs are usually Windows-1252/Latin-1."""
    if not data.strip():
        raise CsvProblem("The file is empty.")
    if b"\x00" in data[:4096]:
        raise CsvProblem("This does not look like a CSV file (it contains binary data). "
                         "In your spreadsheet program choose File → Save as → CSV.")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252 (Latin-1)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _dialect(text: str):
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def parse_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(headers, [(row number, cells)]). Raises CsvProblem naming the line for malformed input."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise CsvProblem(f"The file is not valid CSV near line {reader.line_num}: {exc}. "
                         "Check for a stray quote mark on that line.") from None
    # Blank lines are skipped but numbering follows the spreadsheet (header is row 1).
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise CsvProblem("The file is empty.")
    headers = [h.strip() for h in numbered[0][1]]
    if not any(headers):
        raise CsvProblem("The first line must name the columns (e.g. Name, Phone, Email).")
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        header = header or f"Column {i + 1}"
        seen[header] = seen.get(header, 0) + 1
        headers[i] = header if seen[header] == 1 else f"{header} ({seen[header]})"
    body = numbered[1:]
    if not body:
        raise CsvProblem("The file has a header line but no contacts below it.")
    if len(body) > MAX_ROWS:
        raise CsvProblem(f"The file has {len(body):,} rows; import at most {MAX_ROWS:,} at a time.")
    for number, row in body:
        if len(row) > len(headers) and any(cell.strip() for cell in row[len(headers):]):
            raise CsvProblem(f"Row {number} has {len(row)} values but the header names {len(headers)} columns. "
                             "A value probably contains an unquoted comma.")
    return headers, body
