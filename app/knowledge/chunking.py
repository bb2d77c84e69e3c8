"""Splitting a source's text into the chunks 4calls answers from.

Chunks follow paragraphs, so an answer quoted from one reads as written.
Paragraphs are packed into chunks of up to TARGET_CHARS; a paragraph longer
than a chunk is cut at sentence ends, and a sentence longer than that at
word boundaries. The contract caps a chunk at 4,000 characters and a
source at 2,000 chunks.
"""
from __future__ import annotations

import re

TARGET_CHARS = 1200
MAX_CHUNK_CHARS = 4000
MAX_CHUNKS = 2000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class TooLong(ValueError):
    pass


def _pieces(paragraph: str, limit: int) -> list[str]:
    """The paragraph in pieces no longer than `limit`, cut at sentences, then words."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces


def chunk_text(text: str, target: int = TARGET_CHARS) -> list[str]:
    chunks: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text or "")):
        if not paragraph:
            continue
        for piece in _pieces(paragraph, target):
            if current and len(current) + 2 + len(piece) > target:
                chunks.append(current)
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    if len(chunks) > MAX_CHUNKS:
        raise TooLong(f"That is more text than one source can hold ({MAX_CHUNKS * target // 1000:,}k characters). "
                      "Split it into several documents.")
    return chunks
