"""Text out of an uploaded document: PDF (pypdf), Word .docx (python-docx),
plain text and Markdown.

The type is decided by the file's first bytes, with the name's extension only
telling text from Markdown, so a renamed image is refused rather than read as
text. Every refusal is an `ExtractionError` whose message is shown under the
upload field as it is.
"""
from __future__ import annotations

import io
import re
import zipfile

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
ACCEPTED = "PDF, Word (.docx), plain text (.txt) or Markdown (.md)"
_TEXT_EXTENSIONS = {"txt": "txt", "text": "txt", "md": "md", "markdown": "md"}
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\f\v]+")


class ExtractionError(ValueError):
    pass


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def detect_type(filename: str, data: bytes) -> str:
    """"pdf", "docx", "txt" or "md"; ExtractionError for anything else."""
    extension = _extension(filename)
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if extension == "doc" or not _is_docx(data):
            raise ExtractionError(f"That file is not a document we can read. Upload a {ACCEPTED} file.")
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary .doc (and .xls) container
        raise ExtractionError("Old Word documents (.doc) cannot be read. Save it as .docx or PDF and upload that.")
    if extension in _TEXT_EXTENSIONS:
        if b"\x00" in data[:4096]:
            raise ExtractionError(f"That file is not plain text. Upload a {ACCEPTED} file.")
        return _TEXT_EXTENSIONS[extension]
    raise ExtractionError(f"That type of file cannot be used. Upload a {ACCEPTED} file.")


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def tidy(text: str) -> str:
    """Normalise line ends and runs of blanks, keeping paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("That PDF is password-protected. Remove the password (print it to a new PDF) "
                                  "and upload it again.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError("That PDF could not be read; it may be damaged. Try saving it again.") from exc
    return "\n\n".join(pages)


def _docx_text(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ExtractionError("That Word document could not be read; it may be damaged or password-protected.") from exc
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n\n".join(parts)


def _plain_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def extract_text(filename: str, data: bytes) -> tuple[str, str]:
    """(file type, extracted text). Raises ExtractionError with the reason to show the owner."""
    if not data:
        raise ExtractionError("That file is empty.")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ExtractionError(f"Documents can be at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; this one is larger.")
    file_type = detect_type(filename, data)
    if file_type == "pdf":
        raw = _pdf_text(data)
    elif file_type == "docx":
        raw = _docx_text(data)
    else:
        raw = _plain_text(data)
    text = tidy(raw)
    if len(re.findall(r"\w+", text)) < 3:
        hint = " It may be a scan: PDFs of images have no text to read." if file_type == "pdf" else ""
        raise ExtractionError(f"No text could be found in that file.{hint}")
    return file_type, text
