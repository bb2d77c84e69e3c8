"""Turning stored documents into API responses: private keys, `expand[]`, pagination."""

from __future__ import annotations

import copy
from typing import Callable, Optional

from .errors import invalid_request, no_such
from .params import as_int, as_list
from .store import Store
from .shapes import list_object

# Properties that are not ids but whole sub-resources Stripe only returns on request.
Includable = Callable[[Store, dict], dict]
INCLUDABLES: dict[tuple[str, str], Includable] = {}


def public(value):
    if isinstance(value, dict):
        return {key: public(item) for key, item in value.items() if not key.startswith("_")}
    if isinstance(value, list):
        return [public(item) for item in value]
    return value


def respond_object(store: Store, obj: dict, params: dict) -> dict:
    rendered = public(copy.deepcopy(obj))
    for path in as_list(params.get("expand"), "expand"):
        rendered = _expand(store, rendered, path.split("."), path)
    return rendered


def _expand(store: Store, value, parts: list[str], full_path: str):
    if len(full_path.split(".")) > 4:
        raise invalid_request(
            f"You cannot expand more than 4 levels of a property. Property: {full_path}", "expand")
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict) and value.get("object") == "list" and head == "data":
        value["data"] = [_expand(store, item, rest, full_path) for item in value["data"]]
        return value
    if not isinstance(value, dict):
        raise invalid_request(f"This property cannot be expanded ({full_path}).", "expand")
    includable = INCLUDABLES.get((value.get("object"), head))
    if includable is not None:
        source = store.get(value["id"]) or value
        value[head] = _expand(store, public(includable(store, source)), rest, full_path)
        return value
    if head not in value:
        raise invalid_request(f"This property cannot be expanded ({full_path}).", "expand")
    target = value[head]
    if isinstance(target, str):
        loaded = store.get(target)
        if loaded is None:
            raise no_such(target, "expand")
        target = public(loaded)
    elif target is None:
        return value
    elif not rest:
        raise invalid_request(f"This property cannot be expanded ({full_path}).", "expand")
    value[head] = _expand(store, target, rest, full_path)
    return value


def paginate(store: Store, items: list[dict], params: dict, url: str) -> dict:
    """Items arrive newest first; `starting_after` walks older, `ending_before` newer."""
    limit = as_int(params.get("limit", 10), "limit", minimum=1)
    if limit > 100:
        raise invalid_request("This value must be less than or equal to 100.", "limit",
                              "parameter_invalid_integer")
    ids = [item["id"] for item in items]
    starting_after: Optional[str] = params.get("starting_after")
    ending_before: Optional[str] = params.get("ending_before")
    if starting_after:
        if starting_after not in ids:
            raise no_such(starting_after, "starting_after")
        window = items[ids.index(starting_after) + 1:]
        page, has_more = window[:limit], len(window) > limit
    elif ending_before:
        if ending_before not in ids:
            raise no_such(ending_before, "ending_before")
        window = items[:ids.index(ending_before)]
        page, has_more = window[-limit:], len(window) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    item_expands = []
    with_total = False
    for path in as_list(params.get("expand"), "expand"):
        if path == "total_count":
            with_total = True
            continue
        if not path.startswith("data."):
            raise invalid_request(f"This property cannot be expanded ({path}).", "expand")
        item_expands.append(path[len("data."):])
    data = [respond_object(store, item, {"expand": item_expands}) for item in page]
    return list_object(data, url, has_more, len(items) if with_total else None)
