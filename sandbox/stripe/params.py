"""Decoding Stripe's form encoding (`a[b][0][c]=v`, `expand[]=x`) and reading values."""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from .errors import invalid_request, invalid_value, missing_param, unknown_param

_KEY_PATTERN = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")

# Keys under these parents are free-form strings even when they look like indexes.
_FREE_FORM_PARENTS = {"metadata"}


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict:
    root: dict = {}
    for raw_key, value in pairs:
        match = _KEY_PATTERN.match(raw_key)
        if not match:
            raise invalid_request(f"Invalid parameter name: {raw_key}", raw_key)
        path = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        _assign(root, path, value)
    return _listify(root, parent=None)


def _assign(node: dict, path: list[str], value: str) -> None:
    for part in path[:-1]:
        if part == "":
            # `a[][b]` style: each new `[]` with a nested key opens a new element.
            part = str(len(node))
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    last = path[-1]
    if last == "":
        last = str(len(node))
    node[last] = value


def _listify(node: Any, parent: Optional[str]) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value, key) for key, value in node.items()}
    if (
        converted
        and parent not in _FREE_FORM_PARENTS
        and all(key.isdigit() for key in converted)
    ):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def check_known(params: dict, allowed: Iterable[str]) -> None:
    allowed_set = set(allowed) | {"expand"}
    for key in params:
        if key not in allowed_set:
            raise unknown_param(key)


def require(params: dict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise missing_param(name)
    return value


def as_str(params: dict, name: str, default: Optional[str] = None) -> Optional[str]:
    value = params.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_value(name, f"Invalid string: {value!r}")
    return value


def as_int(value: Any, name: str, minimum: Optional[int] = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid_request(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    if minimum is not None and number < minimum:
        raise invalid_request(
            f"This value must be greater than or equal to {minimum}.", name, "parameter_invalid_integer"
        )
    return number


def as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise invalid_request(f"Invalid boolean: {value}", name, "parameter_invalid_boolean")


def as_list(value: Any, name: str) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        # `expand=subscription` without brackets is accepted by Stripe too.
        return [value]
    raise invalid_request(f"Invalid array: {name}", name, "parameter_invalid_array")


def as_dict(value: Any, name: str) -> dict:
    if value is None:
        return {}
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid object: {name}", name, "parameter_invalid_object")
    return value


def apply_metadata(current: dict, update: Any, param: str = "metadata") -> dict:
    """Stripe merges metadata; "" unsets one key, `metadata=""` clears them all."""
    if update is None:
        return current
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise invalid_request("Invalid object", param, "parameter_invalid_object")
    merged = dict(current)
    for key, value in update.items():
        if len(merged) >= 50 and key not in merged:
            raise invalid_request("Metadata may have at most 50 keys.", param)
        if value == "":
            merged.pop(key, None)
        elif not isinstance(value, str):
            raise invalid_request(f"Invalid metadata value for {key}", f"{param}[{key}]")
        elif len(value) > 500:
            raise invalid_request("Metadata values can have up to 500 characters.", f"{param}[{key}]")
        else:
            merged[key] = value
    return merged
