"""The voice catalogue: a fixed list, each voice with a short generated sample.

Samples are synthesised with the standard library (`wave`), so the sandbox ships
no audio files: a few voiced "syllables" on the voice's pitch with a speaking
contour, enough for an owner to hear that voices differ.
"""
from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache

from flask import Blueprint, Response, jsonify

from .errors import invalid, not_found

bp = Blueprint("voices", __name__)

SAMPLE_RATE = 16_000
SAMPLE_SECONDS = 1.6

# id, name, gender, accent, languages, description, base pitch (Hz)
VOICES: tuple[dict, ...] = tuple(
    {"id": vid, "name": name, "gender": gender, "accent": accent, "languages": list(languages),
     "description": description, "pitch": pitch}
    for vid, name, gender, accent, languages, description, pitch in (
        ("aria", "Aria", "female", "American", ("en", "es"), "Warm and clear; the default receptionist voice.", 220),
        ("sage", "Sage", "neutral", "British", ("en", "fr"), "Calm and measured, good for support.", 170),
        ("ember", "Ember", "female", "Australian", ("en",), "Bright and upbeat, suits sales calls.", 245),
        ("river", "River", "male", "American", ("en", "es", "pt"), "Relaxed and friendly.", 120),
        ("nova", "Nova", "female", "Latin American", ("es", "en", "pt"), "Energetic, bilingual Spanish/English.", 230),
        ("atlas", "Atlas", "male", "British", ("en", "de", "it"), "Deep and reassuring, suits professional firms.", 105),
        ("mei", "Mei", "female", "Mandarin", ("zh", "en"), "Gentle and precise, Mandarin and English.", 235),
        ("linh", "Linh", "female", "Vietnamese", ("vi", "en"), "Soft and patient, Vietnamese and English.", 225),
    )
)
VOICES_BY_ID = {voice["id"]: voice for voice in VOICES}
DEFAULT_VOICE = "aria"


def public(voice: dict) -> dict:
    shown = {k: v for k, v in voice.items() if k != "pitch"}
    shown["sample_url"] = f"/voices/{voice['id']}/sample"
    return shown


def require_voice(voice_id: str | None, field: str = "voice") -> None:
    """422 for a voice the catalogue does not have (call before writing)."""
    if voice_id is not None and voice_id not in VOICES_BY_ID:
        raise invalid({field: f"unknown voice {voice_id!r}; GET /voices lists the available ones"})


@lru_cache(maxsize=None)
def sample_wav(voice_id: str) -> bytes:
    voice = VOICES_BY_ID[voice_id]
    pitch = float(voice["pitch"])
    # Five syllables with a rise-and-fall contour, short pauses between them.
    contour = (1.0, 1.12, 0.96, 1.05, 0.86)
    frames = bytearray()
    syllable = int(SAMPLE_RATE * SAMPLE_SECONDS / len(contour))
    voiced = int(syllable * 0.78)
    phase = 0.0
    for index, factor in enumerate(contour):
        for n in range(syllable):
            if n >= voiced:
                frames += struct.pack("<h", 0)
                continue
            t = n / SAMPLE_RATE
            # Attack/decay envelope and a little vibrato so it sounds voiced, not like a beep.
            envelope = math.sin(math.pi * n / voiced) ** 0.6
            frequency = pitch * factor * (1 + 0.015 * math.sin(2 * math.pi * 5.5 * t))
            phase += 2 * math.pi * frequency / SAMPLE_RATE
            tone = (math.sin(phase) + 0.45 * math.sin(2 * phase) + 0.25 * math.sin(3 * phase)
                    + 0.12 * math.sin((5 + index % 2) * phase))
            frames += struct.pack("<h", int(9000 * envelope * tone / 1.82))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


@bp.get("/voices")
def list_voices():
    return jsonify({"data": [public(voice) for voice in VOICES]})


@bp.get("/voices/<voice_id>/sample")
def voice_sample(voice_id):
    if voice_id not in VOICES_BY_ID:
        raise not_found("voice")
    response = Response(sample_wav(voice_id), mimetype="audio/wav")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
