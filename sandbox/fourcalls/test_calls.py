"""Test calls: the owner hears (reads) what a caller gets under the rules in force."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .auth import visible_org
from .call_generator import generate_call
from .coordinators import active_coordinators
from .errors import conflict
from .params import json_body, parse_body_ts
from .scheduling import org_zone

bp = Blueprint("test_calls", __name__)

TEST_CALLER_NUMBER = "+15005550199"


@bp.post("/organizations/<org_id>/test-calls")
def place_test_call(org_id):
    body = json_body("TestCallCreate")
    org = visible_org(org_id)
    if org["status"] != "active" or not active_coordinators(org["id"]):
        raise conflict("The organization has no active coordinator to answer a test call.")
    overrides = {"test": True, "direction": "inbound", "caller_says": body["caller_says"].strip(),
                 "caller_name": body.get("caller_name") or "Test caller",
                 "caller_number": body.get("caller_number") or TEST_CALLER_NUMBER}
    if body.get("at"):
        overrides["at"] = parse_body_ts(body["at"], "at", org_zone(org))
    return jsonify(generate_call(org, overrides)), 201
