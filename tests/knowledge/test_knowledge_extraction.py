"""Reading text out of uploaded documents, and cutting it into chunks."""
from __future__ import annotations

import zipfile
import io

import pytest

from app.knowledge.chunking import MAX_CHUNK_CHARS, TooLong, chunk_text
from app.knowledge.extraction import MAX_DOCUMENT_BYTES, ExtractionError, extract_text, tidy
from tests.knowledge_helpers import blank_pdf_bytes, docx_bytes, encrypted_pdf_bytes, pdf_bytes


def test_pdf_text_is_extracted():
    file_type, text = extract_text("guide.pdf", pdf_bytes("Parking is free behind the clinic.", "Open Monday to Friday."))
    assert file_type == "pdf"
    assert "Parking is free behind the clinic." in text and "Open Monday to Friday." in text


def test_a_pdf_is_recognised_by_its_bytes_not_its_name():
    assert extract_text("renamed.txt", pdf_bytes("Real PDF content here."))[0] == "pdf"


def test_encrypted_pdf_is_refused_with_a_clear_reason():
    data = encrypted_pdf_bytes("Secret price list for members.")
    with pytest.raises(ExtractionError, match="password-protected"):
        extract_text("prices.pdf", data)


def test_pdf_without_text_is_refused():
    with pytest.raises(ExtractionError, match="No text could be found.*scan"):
        extract_text("scan.pdf", blank_pdf_bytes())


def test_damaged_pdf_is_refused():
    with pytest.raises(ExtractionError):
        extract_text("broken.pdf", b"%PDF-1.4\n garbage that is not a pdf at all")


def test_docx_paragraphs_and_tables_are_extracted():
    data = docx_bytes("Cancellation policy", "Cancel at least 24 hours ahead or pay a $20 fee.",
                      table=[["Service", "Price"], ["Haircut", "$35"]])
    file_type, text = extract_text("policy.docx", data)
    assert file_type == "docx"
    assert "Cancel at least 24 hours ahead" in text and "Haircut | $35" in text


def test_a_zip_that_is_not_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello there friend")
    with pytest.raises(ExtractionError, match="not a document we can read"):
        extract_text("archive.docx", out.getvalue())


def test_text_and_markdown_are_read_and_tidied():
    assert extract_text("notes.txt", "Line one here\r\n\r\n\r\n\r\nLine   two here".encode()) == (
        "txt", "Line one here\n\nLine two here")
    file_type, text = extract_text("faq.md", "# FAQ\n\nWe are **open** on Sundays.".encode("utf-8-sig"))
    assert file_type == "md" and text.startswith("# FAQ")
    # Windows-1252 text still reads.
    assert "café" in extract_text("menu.txt", "Our café opens at eight".encode("cp1252"))[1]


@pytest.mark.parametrize("name, data, reason", [
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "cannot be used"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Old Word documents"),
    ("binary.txt", b"abc\x00def ghi jkl", "not plain text"),
    ("empty.txt", b"", "empty"),
    ("blank.md", b"   \n\n  ", "No text could be found"),
    ("sheet.xlsx", b"col1,col2\nvalue,other", "cannot be used"),
])
def test_unsupported_or_empty_files_are_refused(name, data, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract_text(name, data)


def test_files_over_ten_megabytes_are_refused():
    with pytest.raises(ExtractionError, match="at most 10 MB"):
        extract_text("big.txt", b"a " * (MAX_DOCUMENT_BYTES // 2 + 1))


def test_tidy_keeps_paragraphs():
    assert tidy("a\t b \n\n\n\n c") == "a b\n\nc"


def test_chunks_follow_paragraphs_and_stay_under_the_target():
    paragraphs = [f"Paragraph {n}. " + "word " * 60 for n in range(10)]
    chunks = chunk_text("\n\n".join(paragraphs), target=800)
    assert len(chunks) > 1
    assert all(len(chunk) <= 800 for chunk in chunks)
    # Nothing lost, nothing invented, order kept.
    assert "\n\n".join(chunks).replace("\n\n", " ").split() == " ".join(paragraphs).split()
    assert chunks[0].startswith("Paragraph 0.")


def test_a_long_paragraph_is_cut_at_sentences_then_words():
    sentence = "This sentence is about parking near the clinic. "
    chunks = chunk_text(sentence * 100, target=300)
    assert all(len(chunk) <= 300 for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)
    unbroken = "x" * 5000
    pieces = chunk_text(unbroken)
    assert "".join(pieces) == unbroken and all(len(p) <= MAX_CHUNK_CHARS for p in pieces)


def test_too_much_text_for_one_source_is_refused():
    with pytest.raises(TooLong):
        chunk_text("\n\n".join(["word " * 200] * 2100), target=1000)


def test_empty_text_has_no_chunks():
    assert chunk_text("  \n\n ") == []
