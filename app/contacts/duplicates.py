"""Duplicate detection (advanced CRM): contacts sharing a phone number or an
email, or with similar names.

Phones are stored normalised (E.164) and emails lower-cased, so "same phone"
and "same email" are self-joins in SQL. Similar names are found by comparing
each normalised name with its neighbours in sorted order (and in surname-first
order, for "Lovelace Ada"), reading only ids and names: linear in the number of
contacts rather than every pair.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Contact

SIMILARITY = 0.86  # "Jon Smith" ~ "John Smith", not "Jon Smith" ~ "Joan Smythe"
NEIGHBOURS = 3
MAX_GROUPS = 200

REASON_LABELS = {"phone": "same phone", "email": "same email", "name": "similar name"}


@dataclass
class DuplicateGroup:
    contacts: list = field(default_factory=list)
    reasons: set = field(default_factory=set)

    @property
    def reason_text(self) -> str:
        return ", ".join(REASON_LABELS[r] for r in sorted(self.reasons))


def name_key(name: str | None) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text).split())


def similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return a == b or SequenceMatcher(None, a, b).ratio() >= SIMILARITY


def _live(business):
    return (Contact.business_id == business.id, Contact.deleted_at.is_(None))


def _same_value_pairs(business, column) -> list[tuple]:
    other = aliased(Contact)
    return db.session.execute(
        select(Contact.id, other.id)
        .join(other, (other.business_id == Contact.business_id) & (column(other) == column(Contact))
              & (other.id > Contact.id) & other.deleted_at.is_(None))
        .where(*_live(business), column(Contact).is_not(None), column(Contact) != "")
    ).all()


def _similar_name_pairs(business) -> list[tuple]:
    rows = [(cid, name_key(name)) for cid, name in db.session.execute(
        select(Contact.id, Contact.name).where(*_live(business), Contact.name != ""))]
    plain = sorted(((cid, key) for cid, key in rows if len(key) >= 3), key=lambda r: r[1])
    swapped = sorted(((cid, " ".join(reversed(key.split()))) for cid, key in plain), key=lambda r: r[1])
    pairs = set()
    for ordered in (plain, swapped):  # neighbours in first-name order, then in surname order
        for i, (cid, key) in enumerate(ordered):
            for other_id, other_key in ordered[i + 1:i + 1 + NEIGHBOURS]:
                if similar(key, other_key):
                    pairs.add(tuple(sorted((cid, other_id), key=str)))
    keys = [key for _, key in plain]
    for cid, key in swapped:  # "Lovelace Ada" against "Ada Lovelace"
        at = bisect.bisect_left(keys, key)
        for other_id, other_key in plain[max(0, at - 1):at + 2]:
            if other_id != cid and similar(key, other_key):
                pairs.add(tuple(sorted((cid, other_id), key=str)))
    return list(pairs)


def find_duplicates(business) -> list[DuplicateGroup]:
    """Groups of two or more live contacts that look like one person, biggest first."""
    parent: dict = {}
    reasons: dict = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    found = [("phone", p) for p in _same_value_pairs(business, lambda c: c.phone)]
    found += [("email", p) for p in _same_value_pairs(business, lambda c: func.lower(c.email))]
    found += [("name", p) for p in _similar_name_pairs(business)]
    for reason, (a, b) in found:
        parent[root(a)] = root(b)
        reasons.setdefault(frozenset((a, b)), set()).add(reason)
    if not parent:
        return []
    members: dict = {}
    for contact_id in list(parent):
        members.setdefault(root(contact_id), []).append(contact_id)
    contacts = {c.id: c for c in db.session.scalars(select(Contact).where(Contact.id.in_(list(parent))))}
    groups = []
    for ids in members.values():
        group = DuplicateGroup(contacts=sorted((contacts[i] for i in ids), key=lambda c: (c.created_at, str(c.id))))
        for pair, why in reasons.items():
            if pair <= set(ids):
                group.reasons |= why
        groups.append(group)
    groups.sort(key=lambda g: (-len(g.contacts), g.contacts[0].name or ""))
    return groups[:MAX_GROUPS]
