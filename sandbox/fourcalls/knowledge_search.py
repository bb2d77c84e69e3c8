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
from collections import Counter
from dataclasses import dataclass

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


def _vector(counts: Counter, idf: dict[str, float]) -> dict[str, float]:
    return {term: (1 + math.log(n)) * idf.get(term, 0.0) for term, n in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    shared = set(a) & set(b)
    if not shared:
        return 0.0
    dot = sum(a[t] * b[t] for t in shared)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def rank(question: str, entries: list[tuple[dict, dict]]) -> list[Match]:
    """`entries`: (source, chunk) pairs. Matches above the floor, best first."""
    asked = Counter(terms(question))
    if not asked or not entries:
        return []
    bags = [_chunk_terms(chunk) for _, chunk in entries]
    documents = len(bags)
    frequency = Counter(term for bag in bags for term in bag)
    # Smoothed IDF: a word in every chunk still counts a little.
    idf = {term: math.log((1 + documents) / (1 + count)) + 1 for term, count in frequency.items()}
    query = _vector(asked, idf)
    scored = []
    for (source, chunk), bag in zip(entries, bags):
        score = _cosine(query, _vector(bag, idf))
        if score >= MIN_SCORE:
            scored.append(Match(source, chunk, score))
    scored.sort(key=lambda m: (-m.score, m.source["id"], m.chunk.get("position", 0)))
    return scored


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

def entries_for(org_id: str, coordinator_id: str | None) -> list[tuple[dict, dict]]:
    """Every chunk the coordinator may answer from: the organization's sources for all
    coordinators, plus those given to this one."""
    store = runtime().store
    sources = {s["id"]: s for s in store.find("knowledge_sources", "organization_id = ?", (org_id,))
               if s.get("coordinator_id") in (None, coordinator_id)}
    if not sources:
        return []
    chunks = store.find("knowledge_chunks", "organization_id = ?", (org_id,), order="source_id, position")
    return [(sources[c["source_id"]], c) for c in chunks if c["source_id"] in sources]


def answer_question(org_id: str, coordinator_id: str | None, question: str) -> KnowledgeAnswer | None:
    """The answer the coordinator gives from its knowledge, or None when nothing matches."""
    matches = rank(question, entries_for(org_id, coordinator_id))
    if not matches:
        return None
    return KnowledgeAnswer(text=answer_from(matches[0], question), matches=matches[:MAX_SOURCES])
