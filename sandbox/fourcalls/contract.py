"""Request validation straight from docs/fourcalls-openapi.yaml.

Validating against the published document (instead of hand-written checks)
keeps the sandbox and the contract from drifting apart.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import invalid

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "docs" / "fourcalls-openapi.yaml"
_BASE_URI = "urn:fourcalls-openapi"
_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")
# Date-times are parsed by the handlers (naive values are read in the organization's
# timezone, which RFC 3339 would reject), so only email is asserted here.
_FORMATS = FormatChecker(formats=["email"])
_E164 = r"^\+[1-9]\d{6,14}$"
_QUOTED = re.compile(r"'([^']*)'")


@lru_cache(maxsize=1)
def load_contract() -> dict:
    with open(CONTRACT_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resource = Resource.from_contents(load_contract(), default_specification=DRAFT202012)
    return Registry().with_resource(_BASE_URI, resource)


@lru_cache(maxsize=None)
def schema_validator(name: str) -> Draft202012Validator:
    schema = {"$ref": f"{_BASE_URI}#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=_registry(), format_checker=_FORMATS)


def _declared_properties(schema: dict) -> set[str]:
    names = set((schema.get("properties") or {}).keys())
    for member in schema.get("allOf", []):
        if "$ref" in member:
            member = _registry().resolver(_BASE_URI).lookup(member["$ref"]).contents
        names |= _declared_properties(member)
    return names


def _field_path(parts) -> str:
    return ".".join(str(p) for p in parts)


def _describe(error) -> dict[str, str]:
    """Turn one jsonschema error into {dotted field: message} entries."""
    where = list(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        # A failing allOf branch leaves its properties "unevaluated", so only names the
        # schema never declares count as unknown; the real failure is reported on its own.
        listed = _UNEXPECTED.search(error.message)
        names = _QUOTED.findall(listed.group(1)) if listed else []
        declared = _declared_properties(error.schema)
        return {_field_path(where + [n]): "unknown field" for n in names if n not in declared}
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in (error.instance or {})]
        return {_field_path(where + [p]): "is required" for p in missing}
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        return {_field_path(where) or "body": best.message}
    if error.validator == "pattern" and error.validator_value == _E164:
        return {_field_path(where) or "body": "must be an E.164 phone number, e.g. +15125550142"}
    return {_field_path(where) or "body": error.message}


def validate_body(schema_name: str, body) -> dict:
    """Return the body if it matches the named request schema, else raise 422."""
    fields: dict[str, str] = {}
    for error in schema_validator(schema_name).iter_errors(body):
        fields.update(_describe(error))
    if fields:
        raise invalid(fields)
    return body
