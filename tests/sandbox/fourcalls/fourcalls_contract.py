"""Checks real HTTP responses against docs/fourcalls-openapi.yaml.

Installed as an httpx response hook, so every response any sandbox test receives
is validated: its status must be documented for the operation and its JSON body
must match the documented schema.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import httpx
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT_PATH = Path(__file__).resolve().parents[3] / "docs" / "fourcalls-openapi.yaml"
API_PREFIX = "/api/coordinator"
BASE_URI = "urn:fourcalls-contract-test"


class ContractViolation(AssertionError):
    pass


class ContractChecker:
    def __init__(self, path: Path = CONTRACT_PATH):
        self.document = yaml.safe_load(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(BASE_URI, resource)
        self.resolver = self.registry.resolver(BASE_URI)
        # Literal paths before templated ones, so /calls/stats wins over /calls/{callId}.
        self.routes = sorted(
            ((re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
             for template in self.document["paths"]),
            key=lambda pair: pair[1].count("{"))
        self.seen: dict[tuple[str, str], set[int]] = defaultdict(set)

    def operations(self) -> list[tuple[str, str]]:
        return [(method.upper(), template) for template, item in self.document["paths"].items()
                for method in item if method in ("get", "post", "put", "delete")]

    def _deref(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.resolver.lookup(node["$ref"]).contents
        return node

    def schema_validator(self, name: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{BASE_URI}#/components/schemas/{name}"}, registry=self.registry)

    def template_for(self, path: str) -> str | None:
        relative = path[len(API_PREFIX):] if path.startswith(API_PREFIX) else path
        for pattern, template in self.routes:
            if pattern.match(relative):
                return template
        return None

    def check(self, response: httpx.Response) -> None:
        path = response.request.url.path
        if not path.startswith(API_PREFIX):
            return
        method = response.request.method
        template = self.template_for(path)
        operation = self.document["paths"][template].get(method.lower()) if template else None
        if operation is None:
            if response.status_code not in (404, 405):
                raise ContractViolation(f"{method} {path} is not documented")
            # Unknown routes still answer with the documented error shape.
            errors = list(self.schema_validator("Error").iter_errors(json.loads(response.read())))
            assert not errors, f"{method} {path}: error body breaks the contract: {errors[0].message}"
            return
        documented = operation["responses"]
        spec = documented.get(str(response.status_code)) or documented.get("default")
        if spec is None:
            raise ContractViolation(f"{method} {template} answered undocumented {response.status_code}")
        spec = self._deref(spec)
        self.seen[(method, template)].add(response.status_code)
        if response.status_code == 429:
            assert response.headers.get("Retry-After", "").isdigit(), "429 without Retry-After"
        content_type = response.headers.get("content-type", "").split(";")[0]
        if content_type == "text/event-stream":
            assert "text/event-stream" in spec.get("content", {}), f"{method} {template} streamed unexpectedly"
            return
        media = (spec.get("content") or {}).get("application/json")
        if media is None:
            return
        assert content_type == "application/json", f"{method} {template}: content-type {content_type}"
        body = json.loads(response.read())
        schema = media["schema"]
        if "$ref" in schema:
            schema = {"$ref": BASE_URI + schema["$ref"]}
        validator = Draft202012Validator(schema, registry=self.registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            details = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                                for e in errors[:5])
            raise ContractViolation(f"{method} {template} {response.status_code} body breaks the contract: {details}")

    def hook(self, response: httpx.Response) -> None:
        # Streams are left unread so tests can consume them incrementally.
        if "event-stream" not in response.headers.get("content-type", ""):
            response.read()
        self.check(response)

