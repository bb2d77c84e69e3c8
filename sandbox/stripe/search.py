"""The `/v1/<resource>/search` endpoints with a useful subset of Stripe's query language.

Supported: clauses joined by AND; `field:'value'` (exact, case-insensitive),
`field~'value'` (substring), `field>N` / `>=` / `<` / `<=` on numbers, a leading `-`
to negate, and `metadata['key']:'value'`. OR and parentheses are refused.
"""

from __future__ import annotations

import re
from typing import Optional

from .errors import invalid_request
from .params import as_int, check_known
from .render import respond_object
from .v1 import json_response, params, sandbox, v1

FIELDS = {
    "customer": {"email", "name", "phone", "created"},
    "price": {"active", "currency", "lookup_key", "product", "type", "created"},
    "product": {"active", "name", "description", "created"},
    "subscription": {"status", "created", "customer"},
    "invoice": {"customer", "status", "total", "number", "subscription", "created"},
}
_CLAUSE = re.compile(
    r"^(?P<negate>-)?(?P<field>[a-z_]+)(?:\[['\"](?P<key>[^'\"]+)['\"]\])?"
    r"(?P<op>:|~|>=|<=|>|<)(?P<value>'[^']*'|\"[^\"]*\"|-?\d+|true|false|null)$"
)


def _value_of(obj: dict, field: str, key: Optional[str]):
    if field == "metadata":
        return (obj.get("metadata") or {}).get(key or "")
    if obj["object"] == "invoice" and field == "subscription":
        return ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return obj.get(field)


def _matches(obj: dict, clause: dict) -> bool:
    actual = _value_of(obj, clause["field"], clause["key"])
    expected, op = clause["value"], clause["op"]
    if op in (">", ">=", "<", "<="):
        if not isinstance(actual, int) or not isinstance(expected, int):
            return False
        result = {">": actual > expected, ">=": actual >= expected,
                  "<": actual < expected, "<=": actual <= expected}[op]
    elif op == "~":
        result = isinstance(actual, str) and str(expected).lower() in actual.lower()
    elif expected is None:
        result = actual in (None, "")
    elif isinstance(actual, bool) or isinstance(expected, bool):
        result = str(actual).lower() == str(expected).lower()
    else:
        result = actual is not None and str(actual).lower() == str(expected).lower()
    return not result if clause["negate"] else result


def parse_query(query: str, object_type: str) -> list[dict]:
    if not query or not query.strip():
        raise invalid_request("Missing required param: query.", "query", "parameter_missing")
    if re.search(r"\bOR\b|[()]", query):
        raise invalid_request("The sandbox search supports only clauses joined by AND.", "query")
    clauses = []
    for raw in re.split(r"\s+AND\s+", query.strip()):
        match = _CLAUSE.match(raw.strip())
        if not match:
            raise invalid_request(f"Invalid search query clause: {raw!r}", "query")
        field, key = match.group("field"), match.group("key")
        if (field == "metadata") != (key is not None) or (field != "metadata" and field not in FIELDS[object_type]):
            raise invalid_request(f"Field '{field}' is not supported for search on {object_type}.", "query")
        token = match.group("value")
        if token[0] in "'\"":
            value = token[1:-1]
        elif token in ("true", "false"):
            value = token == "true"
        elif token == "null":
            value = None
        else:
            value = int(token)
        clauses.append({"negate": bool(match.group("negate")), "field": field, "key": key,
                        "op": match.group("op"), "value": value})
    return clauses


def _search(object_type: str, url: str):
    p = params()
    check_known(p, ("query", "limit", "page"))
    clauses = parse_query(p.get("query", ""), object_type)
    limit = as_int(p.get("limit", 10), "limit", minimum=1)
    offset = as_int(p.get("page", 0) or 0, "page", minimum=0)
    store = sandbox().store
    found = [obj for obj in store.all_of(object_type) if all(_matches(obj, clause) for clause in clauses)]
    page = found[offset:offset + min(limit, 100)]
    has_more = len(found) > offset + len(page)
    data = [respond_object(store, obj, {"expand": [path[len("data."):] for path in p.get("expand", [])
                                                    if path.startswith("data.")]}) for obj in page]
    return json_response({
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": str(offset + len(page)) if has_more else None,
        "url": url,
    })


for _resource, _type in (("customers", "customer"), ("prices", "price"), ("products", "product"),
                         ("subscriptions", "subscription"), ("invoices", "invoice")):
    v1.add_url_rule(f"/{_resource}/search", f"search_{_resource}",
                    lambda _type=_type, _resource=_resource: _search(_type, f"/v1/{_resource}/search"),
                    methods=["GET"])
