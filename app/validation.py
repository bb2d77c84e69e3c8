"""Text input hygiene shared by every form.

NUL and other control characters are refused with a field error: PostgreSQL
rejects NUL in text (a 500), and the rest only ever arrive from scripts.
Single-line fields also refuse line breaks (they would reach mail headers and
CSV rows). `install_text_guard` applies this to every FlaskForm, so a new form
is covered without opting in; `NoControlCharacters` is there for non-form input.
It also makes a JSON body posted to a form arrive as plain strings.
"""
from __future__ import annotations

import json
import math
import re

from flask import abort, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FieldList, FormField, StringField, TextAreaField
from wtforms.validators import ValidationError

# C0 controls except tab, LF and CR; DEL; the C1 block.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
MESSAGE = "Remove the invisible control characters from this field."
LINE_MESSAGE = "This field must be a single line."


def control_character_error(value, *, multiline: bool = True) -> str | None:
    if not isinstance(value, str):
        return None
    if _CONTROL.search(value):
        return MESSAGE
    if not multiline and _LINE_BREAK.search(value):
        return LINE_MESSAGE
    return None


class NoControlCharacters:
    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        error = control_character_error(field.data, multiline=self.multiline)
        if error:
            raise ValidationError(error)


def _text_fields(fields):
    for field in fields:
        if isinstance(field, FormField):
            yield from _text_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _text_fields(field.entries)
        elif isinstance(field, StringField):
            yield field


def _guarded_validate(original):
    def validate(self, extra_validators=None):
        valid = original(self, extra_validators=extra_validators)
        for field in _text_fields(self):
            error = control_character_error(field.data, multiline=isinstance(field, TextAreaField))
            if error and error not in field.errors:
                if not isinstance(field.errors, list):
                    field.errors = list(field.errors)
                field.errors.append(error)
                valid = False
        return valid

    validate._text_guard = True
    return validate


def _json_as_form(payload) -> MultiDict:
    """A JSON body posted to a form, as the strings a browser would send:
    only an object's scalar values (and lists of them) survive. Flask-WTF would
    otherwise hand ints, objects or a bare list to fields that expect text."""
    pairs = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, bool):
                    pairs.append((str(key), "y" if item else ""))
                elif isinstance(item, (str, int, float)):
                    pairs.append((str(key), str(item)))
    return MultiDict(pairs)


def _guarded_wrap_formdata(original):
    def wrap_formdata(self, form, formdata):
        if (formdata is _Auto and request.method in ("POST", "PUT", "PATCH", "DELETE") and request.is_json
                and not request.form and not request.files):
            return _json_as_form(request.get_json(silent=True))
        return original(self, form, formdata)

    return wrap_formdata


def nul_field_names(values, prefix="") -> list[str]:
    """The dotted names of every field (or key) in decoded JSON or form values
    holding a NUL character, which PostgreSQL cannot store: the request guard
    and the 4calls webhook receiver refuse those bodies, naming the fields."""
    found = []
    if isinstance(values, dict):
        for key, value in values.items():
            name = f"{prefix}{key}"
            if "\x00" in str(key):
                found.append(name.replace("\x00", "\\0"))
            found += nul_field_names(value, name + ".")
    elif isinstance(values, list):
        for index, value in enumerate(values):
            found += nul_field_names(value, f"{prefix}{index}.")
    elif isinstance(values, str) and "\x00" in values:
        found.append(prefix.rstrip(".") or "body")
    return found


def nul_refusal(names: list[str]) -> str:
    """What a refused body is told: the fields holding a NUL (ten at most), once each."""
    fields = ", ".join(sorted(set(names))[:10])
    return f"Remove the invisible control characters (NUL) from: {fields}."


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: a literal JSON allows, too large for a float or for jsonb here
        raise ValueError(f"{text} is out of range")
    return value


# A lone surrogate can only arrive escaped (UTF-8 cannot carry one): a cheap
# look at the text decides whether the parsed value needs the exact check.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(text, value) -> None:
    pattern = _SURROGATE_ESCAPE_BYTES if isinstance(text, (bytes, bytearray)) else _SURROGATE_ESCAPE
    if pattern.search(text):
        # json.loads joins a proper pair into one character; a lone half cannot be
        # written as UTF-8, nor stored (psycopg, sqlite3 and jsonb all refuse it).
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError is a ValueError


_STRICT = {"parse_constant": _refuse_constant, "parse_float": _finite_float}


def strict_json_loads(text: str | bytes, **kwargs):
    """json.loads for JSON every layer below can store. Python's json also
    reads NaN, Infinity, numbers too large for a float (as infinity) and
    lone UTF-16 surrogates ("\\ud800"); PostgreSQL's jsonb or the drivers
    refuse each (a 500 at the INSERT). ValueError for each, as for bad JSON."""
    value = json.loads(text, **{**_STRICT, **kwargs})
    _refuse_lone_surrogates(text, value)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with `strict_json_loads`' reading: request.get_json()
    answers 400 to what it refuses (silent=True gives None), as to bad JSON."""

    def loads(self, s, **kwargs):
        return strict_json_loads(s, **kwargs)


def install_request_guard(app) -> None:
    """NUL reaches no handler: PostgreSQL refuses it in any text parameter
    (a 500 even for a search), and no browser sends one. A URL whose path
    holds one (a slug, an id) names nothing: 404. Query strings, form fields
    and JSON bodies with a NUL get a 422 naming the fields. Other control
    characters are left to the forms' field errors above. Installed before
    the user loader, which reads the page's business by the URL's slug."""
    from app.errors import error_response

    @app.before_request
    def refuse_nul_characters():
        if any("\x00" in value for value in (request.view_args or {}).values() if isinstance(value, str)):
            abort(404)
        names = []
        try:
            form = request.form
        except RequestEntityTooLarge:
            return None  # the view says how large an upload may be
        for source in (request.args, form):
            for key in source.keys():
                if "\x00" in key or any("\x00" in value for value in source.getlist(key)):
                    names.append(key.replace("\x00", "\\0"))
        if request.is_json:
            names += nul_field_names(request.get_json(silent=True))
        if names:
            return error_response(422, nul_refusal(names))
        return None


def install_text_guard() -> None:
    if not getattr(FlaskForm.validate, "_text_guard", False):
        FlaskForm.validate = _guarded_validate(FlaskForm.validate)
        FlaskForm.Meta.wrap_formdata = _guarded_wrap_formdata(FlaskForm.Meta.wrap_formdata)
