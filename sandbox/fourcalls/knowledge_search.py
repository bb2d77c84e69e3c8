"""Answering a question from an organization's knowledge: TF-IDF over its chunks.

Each chunk is a bag of stemmed content words. A question scores every chunk
by the cosine of their TF-IDF vectors (IDF over the organization's chunks, so
a word every chunk uses counts for little). The best chunks above a floor are
the matches; the answer is the best chunk's sentences that share the most
words with the question (a Q&A chunk answers with its whole answer).
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .runtime import runtime

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being do does did done "
    "have has had having i me my we our you your he she it its they them their this that these those there here "
    "what which who whom whose when where why how can could would should will shall may might must not no yes "
    "so than too very just also any some all each every about into over under again then once only own same "
    "other such more most few both up down out off am please tell know want like get got let us".split())
# A match must share at least this much with the question to be used at all.
MIN_SCORE = 0.12
# Scores at or above this are confident enough to outrank the built-in answers (hours, booking words).
STRONG_SCORE = 0.3
MAX_SOURCES = 3
ANSWER_SENTENCES = 2


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A light suffix stripper, so "parking" matches "park" and "prices" matches "price"."""
    word = word.replace("'s", "")
    for suffix in ("ing", "ies", "es", "ed", "ly", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            return word + "y" if suffix == "ies" else word
    return word


def terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall((text or "").lower()) if w not in STOPWORDS and len(w) > 1]


@dataclass
class Match:
    source: dict
    chunk: dict
    score: float


@dataclass
class KnowledgeAnswer:
    text: str
    matches: list[Match]

    @property
    def score(self) -> float:
        return self.matches[0].score if self.matches else 0.0

    def citations(self) -> list[dict]:
        """One entry per source used, best first."""
        seen, cited = set(), []
        for match in self.matches:
            if match.source["id"] in seen:
                continue
            seen.add(match.source["id"])
            cited.append({"knowledge_source_id": match.source["id"], "external_id": match.source["external_id"],
                          "title": match.source["title"], "score": round(min(match.score, 1.0), 4)})
        return cited


def _chunk_terms(chunk: dict) -> Counter:
    # A Q&A pair's question is what callers ask, so its words count twice.
    counted = Counter(terms(chunk.get("text", "")))
    for term in terms(chunk.get("question", "")):
        counted[term] += 2
    return counted


class KnowledgeIndex:
    """TF-IDF weights of every chunk, with postings (term -> chunks using it), so a
    question only scores the chunks sharing a word with it. Built once per change
    of an organization's knowledge (`index_for`)."""

    def __init__(self, entries: list[tuple[dict, dict]]):
        self.entries = entries
        bags = [_chunk_terms(chunk) for _, chunk in entries]
        frequency = Counter(term for bag in bags for term in bag)
        # Smoothed IDF: a word in every chunk still counts a little.
        self.idf = {term: math.log((1 + len(bags)) / (1 + count)) + 1 for term, count in frequency.items()}
        self.weights: list[dict[str, float]] = []
        self.norms: list[float] = []
        self.postings: dict[str, list[int]] = {}
        for position, bag in enumerate(bags):
            weights = {term: (1 + math.log(n)) * self.idf[term] for term, n in bag.items()}
            self.weights.append(weights)
            self.norms.append(math.sqrt(sum(v * v for v in weights.values())))
            for term in weights:
                self.postings.setdefault(term, []).append(position)

    def rank(self, question: str, allowed=None) -> list[Match]:
        """Matches above the floor, best first; `allowed(source)` filters sources."""
        asked = Counter(terms(question))
        query = {term: (1 + math.log(n)) * self.idf[term] for term, n in asked.items() if term in self.idf}
        query_norm = math.sqrt(sum(v * v for v in query.values()))
        if not query_norm:
            return []
        dots: dict[int, float] = {}
        for term, weight in query.items():
            for position in self.postings[term]:
                dots[position] = dots.get(position, 0.0) + weight * self.weights[position][term]
        scored = []
        for position, dot in dots.items():
            source, chunk = self.entries[position]
            score = dot / (query_norm * self.norms[position])
            if score >= MIN_SCORE and (allowed is None or allowed(source)):
                scored.append(Match(source, chunk, score))
        scored.sort(key=lambda m: (-m.score, m.source["id"], m.chunk.get("position", 0)))
        return scored


def rank(question: str, entries: list[tuple[dict, dict]]) -> list[Match]:
    """`entries`: (source, chunk) pairs. Matches above the floor, best first."""
    return KnowledgeIndex(entries).rank(question) if entries else []


def answer_from(match: Match, question: str) -> str:
    chunk = match.chunk
    if chunk.get("question"):
        return chunk["text"].strip()
    asked = set(terms(question))
    sentences = [s.strip() for s in _SENTENCE.split(chunk["text"]) if s.strip()]
    overlap = [len(asked & set(terms(sentence))) for sentence in sentences]
    relevant = sorted(sorted(range(len(sentences)), key=lambda i: -overlap[i])[:ANSWER_SENTENCES])
    relevant = [i for i in relevant if overlap[i]]
    if not relevant:  # the chunk matched as a whole: its opening says what it is about
        return sentences[0] if sentences else chunk["text"].strip()
    return " ".join(sentences[i] for i in relevant)

def _all_entries(org_id: str) -> list[tuple[dict, dict]]:
    store = runtime().store
    sources = {s["id"]: s for s in store.find("knowledge_sources", "organization_id = ?", (org_id,))}
    if not sources:
        return []
    chunks = store.find("knowledge_chunks", "organization_id = ?", (org_id,), order="source_id, position")
    return [(sources[c["source_id"]], c) for c in chunks if c["source_id"] in sources]


def allowed_for(coordinator_id: str | None):
    """Sources for every coordinator, plus those given to this one."""
    return lambda source: source.get("coordinator_id") in (None, coordinator_id)


def entries_for(org_id: str, coordinator_id: str | None) -> list[tuple[dict, dict]]:
    """Every chunk the coordinator may answer from."""
    index, allowed = index_for(org_id), allowed_for(coordinator_id)
    return [(source, chunk) for source, chunk in index.entries if allowed(source)] if index else []


_INDEXES: dict[tuple[int, str], tuple[tuple, KnowledgeIndex]] = {}
_INDEX_LOCK = threading.Lock()


def index_for(org_id: str) -> KnowledgeIndex | None:
    """The organization's index, rebuilt only when its sources changed (a create or
    delete changes the chunk count or the latest stamp)."""
    store = runtime().store
    row = store.rows("SELECT COUNT(*), MAX(updated_at) FROM knowledge_chunks WHERE organization_id = ?", (org_id,))[0]
    if not row[0]:
        return None
    signature, key = (row[0], row[1]), (id(store), org_id)
    with _INDEX_LOCK:
        cached = _INDEXES.get(key)
        if cached and cached[0] == signature:
            return cached[1]
    index = KnowledgeIndex(_all_entries(org_id))
    with _INDEX_LOCK:
        _INDEXES[key] = (signature, index)
    return index


def answer_question(org_id: str, coordinator_id: str | None, question: str) -> KnowledgeAnswer | None:
    """The answer the coordinator gives from its knowledge, or None when nothing matches."""
    index = index_for(org_id)
    matches = index.rank(question, allowed_for(coordinator_id)) if index else []
    if not matches:
        return None
    return KnowledgeAnswer(text=answer_from(matches[0], question), matches=matches[:MAX_SOURCES])
