"""Lead analysis: a qualification score and a short reason from what the
caller or visitor said. Deterministic, so the same transcript always scores
the same: intent, budget, urgency/timeframe and the service wanted each add
to the score; a clear "not interested" caps it.
"""
from __future__ import annotations

import re

from flask import Blueprint, jsonify

from .auth import visible_org
from .errors import invalid
from .params import json_body

bp = Blueprint("lead_analysis", __name__)

SIGNALS = {
    "intent": (35, ("interested", "quote", "estimate", "book", "sign up", "call me back", "call back",
                    "i'd like", "i would like", "want", "need", "planning", "looking for", "can someone",
                    "reach out", "yes please", "yes")),
    "budget": (15, ("budget", "price", "cost", "how much", "afford", "$", "pay")),
    "urgency": (20, ("today", "tomorrow", "asap", "urgent", "right away", "soon", "this week", "emergency")),
    "timeframe": (10, ("next week", "next month", "this month", "monday", "tuesday", "wednesday", "thursday",
                       "friday", "saturday", "weekend", "morning", "afternoon", "evening")),
    "service": (15, ("appointment", "service", "repair", "cleaning", "haircut", "install", "consultation",
                     "treatment", "visit", "quote", "catering", "services", "dinner", "party", "booking")),
}
NEGATIVE = ("not interested", "wrong number", "no thanks", "stop calling", "unsubscribe", "stop")
BASE_SCORE = 5
LABELS = {"intent": "showed intent", "budget": "talked about price", "urgency": "wants it soon",
          "timeframe": "named a time", "service": "named a service"}


def _customer_text(body: dict) -> str:
    parts = []
    for line in body.get("transcript") or []:
        speaker = str(line.get("speaker") or line.get("role") or "caller").lower()
        if speaker not in ("assistant", "coordinator", "agent"):
            parts.append(str(line.get("text") or ""))
    if body.get("text"):
        parts.append(str(body["text"]))
    return " ".join(parts).lower()


def analyze(body: dict) -> dict:
    text = _customer_text(body)
    found = {name: next((w for w in words if re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", text)), None)
             for name, (_, words) in SIGNALS.items()}
    score = BASE_SCORE + sum(SIGNALS[name][0] for name, word in found.items() if word)
    negative = next((w for w in NEGATIVE if re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", text)), None)
    if negative and not found["intent"]:
        score = min(score, 10)
    score = max(0, min(100, score))
    named = [f"{LABELS[name]} (“{word}”)" for name, word in found.items() if word]
    if negative and not found["intent"]:
        reason = f"Said “{negative}”: little sign of interest."
    elif named:
        reason = "Customer " + ", ".join(named) + "."
    else:
        reason = "No buying signals in what the customer said."
    return {"score": score, "reason": reason[:500],
            "signals": {name: bool(word) for name, word in found.items()}, "model": "sandbox-keywords-1"}


@bp.post("/organizations/<org_id>/lead-analysis")
def lead_analysis(org_id):
    body = json_body("LeadAnalysisRequest")
    visible_org(org_id)
    if not body.get("transcript") and not (body.get("text") or "").strip():
        raise invalid({"text": "give a transcript or a text to analyse"})
    return jsonify(analyze(body))
