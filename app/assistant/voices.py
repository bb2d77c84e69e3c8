"""The voices 4calls offers, and their samples, for the coordinator form.

The catalogue is small and changes rarely, so it is kept in memory for a few
minutes per process; samples are kept too (a few kilobytes each). The browser
plays samples through our own URL: it never talks to 4calls.
"""
from __future__ import annotations

import threading
import time

from app.fourcalls import FourCallsError
from app.assistant.connection import organization_client

CATALOGUE_SECONDS = 600
LANGUAGES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
             "pt": "Portuguese", "zh": "Mandarin Chinese", "vi": "Vietnamese"}
PACES = {"slow": "Slow and clear", "normal": "Natural", "fast": "Brisk"}

_lock = threading.Lock()
_catalogue: dict = {"at": 0.0, "voices": None}
_samples: dict[str, tuple[bytes, str]] = {}


class VoicesUnavailable(Exception):
    """4calls could not list its voices just now."""


def voice_catalogue(business) -> list[dict]:
    with _lock:
        if _catalogue["voices"] is not None and time.monotonic() - _catalogue["at"] < CATALOGUE_SECONDS:
            return _catalogue["voices"]
    try:
        voices = organization_client(business).list_voices()
    except FourCallsError as exc:
        raise VoicesUnavailable(str(exc)) from exc
    with _lock:
        _catalogue.update(at=time.monotonic(), voices=voices)
    return voices


def voice_choices(business, current: str | None = None) -> list[tuple[str, str]]:
    """(id, label) for the form; the current voice stays choosable when 4calls is unreachable."""
    try:
        voices = voice_catalogue(business)
    except VoicesUnavailable:
        return [(current, current.capitalize())] if current else []
    return [(v["id"], f"{v['name']} — {v['gender']}, {v['accent']} accent") for v in voices]


def voice_sample(business, voice_id: str) -> tuple[bytes, str] | None:
    """(audio, content type) of a voice in the catalogue; None for an unknown voice."""
    if voice_id not in {v["id"] for v in voice_catalogue(business)}:
        return None
    with _lock:
        cached = _samples.get(voice_id)
    if cached is not None:
        return cached
    try:
        sample = organization_client(business).get_voice_sample(voice_id)
    except FourCallsError as exc:
        raise VoicesUnavailable(str(exc)) from exc
    with _lock:
        _samples[voice_id] = sample
    return sample


def clear_cache() -> None:
    with _lock:
        _catalogue.update(at=0.0, voices=None)
        _samples.clear()
