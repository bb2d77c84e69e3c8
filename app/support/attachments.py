"""Screenshot attachments on support messages: image types only, checked by
their first bytes (not the name or the browser's claim), and size-capped."""
from __future__ import annotations

from werkzeug.utils import secure_filename

MAX_BYTES = 2 * 1024 * 1024
# Magic numbers of the image formats a screenshot comes in.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class AttachmentError(ValueError):
    pass


def sniff_type(data: bytes) -> str | None:
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def read_attachment(storage) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of an uploaded screenshot, None when nothing was chosen."""
    if storage is None or not getattr(storage, "filename", ""):
        return None
    data = storage.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise AttachmentError(f"Screenshots can be at most {MAX_BYTES // (1024 * 1024)} MB; this one is larger.")
    if not data:
        raise AttachmentError("That file is empty.")
    content_type = sniff_type(data)
    if content_type is None:
        raise AttachmentError("Attach a screenshot as a PNG, JPEG, GIF or WebP image.")
    name = secure_filename(storage.filename)[:120] or "screenshot"
    return name, content_type, data
