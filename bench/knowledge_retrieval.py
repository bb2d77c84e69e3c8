"""The sandbox's knowledge retrieval next to the plain keyword overlap the FAQ
matcher uses (chat_brain._best_faq's scoring: every chunk tokenised per
question), on the same chunks and question in the same run:

* build: KnowledgeIndex (TF-IDF weights and postings), paid once per change of
  an organization's knowledge (index_for caches it);
* query: one question against the built index (what each chat message or call
  question costs), versus the keyword scan per question.

    .venv/bin/python bench/knowledge_retrieval.py [--chunks 2000 20000] [--repeat 20]

Chunks are synthetic passages (~1,200 characters, like app/knowledge/chunking
makes) over a 5,000-word vocabulary. Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.local_days import timed  # noqa: E402  (median and p95 in ms, shared with the other benches)
from sandbox.fourcalls.chat_brain import _content_words  # noqa: E402
from sandbox.fourcalls.knowledge_search import KnowledgeIndex  # noqa: E402


def make_entries(count: int, rng: random.Random) -> list[tuple[dict, dict]]:
    vocabulary = [f"w{n}" for n in range(5000)]
    entries = []
    for n in range(count):
        source = {"id": f"ks_{n // 20:06d}", "external_id": str(n // 20), "title": f"Source {n // 20}"}
        words = rng.choices(vocabulary, k=180)
        entries.append((source, {"position": n % 20, "text": " ".join(words) + "."}))
    return entries


def keyword_overlap(question: str, entries) -> list:
    """The baseline: share of the question's words each chunk contains, best first."""
    asked = _content_words(question)
    scored = []
    for source, chunk in entries:
        shared = len(asked & _content_words(chunk["text"]))
        if shared:
            scored.append((shared / len(asked), source["id"]))
    scored.sort(reverse=True)
    return scored


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(19)
    print(f"{'chunks':>8} {'build ms':>10} {'query median ms':>16} {'p95':>8} "
          f"{'keyword scan median ms':>23} {'p95':>8} {'query/scan':>11}")
    for count in args.chunks:
        entries = make_entries(count, rng)
        target = entries[rng.randrange(count)][1]["text"].split()
        question = " ".join(rng.sample(target, 5)) + "?"
        build = timed(lambda: KnowledgeIndex(entries), max(args.repeat // 5, 1))
        index = KnowledgeIndex(entries)
        found = index.rank(question)
        assert found and found[0].chunk["text"].split() == target, "the bench question must find its chunk"
        query = timed(lambda: index.rank(question), args.repeat)
        keyword = timed(lambda: keyword_overlap(question, entries), args.repeat)
        print(f"{count:>8} {build[0]:>10.1f} {query[0]:>16.2f} {query[1]:>8.2f} {keyword[0]:>23.2f} "
              f"{keyword[1]:>8.2f} {query[0] / keyword[0]:>11.3f}")

if __name__ == "__main__":
    main()
