"""Statistics of text that say whether a sample looks like the corpus: brackets and quotes
closed on their line, indentation kept from one line to the next, diversity.

Every function takes plain strings, so the corpus, a model's samples and an n-gram's samples
are measured the same way.
"""

from __future__ import annotations

from lstmlab.errors import argument_error

__all__ = ["balanced_bracket_rate", "distinct_ngram_rate", "indent_kept_rate", "line_pairs", "quote_balanced_rate"]


def _lines(where: str, texts) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    if not all(isinstance(t, str) for t in texts):
        raise argument_error(where, "texts", f"must be a str or a list of strs, got {type(texts).__name__}",
                             "pass vocab.decode(ids) of each sample")
    return [line for t in texts for line in t.split("\n")]


def balanced_bracket_rate(texts, pairs=("()", "[]", "{}")) -> tuple[float, int]:
    """Of the lines that hold a bracket, the fraction whose brackets all close in order
    (a stack: every closer matches the last opener, none left open at the line's end).

    Returns ``(rate, number of lines with a bracket)``.
    """
    opener = {p[1]: p[0] for p in pairs}
    openers = {p[0] for p in pairs}
    counted = balanced = 0
    for line in _lines("balanced_bracket_rate", texts):
        stack, ok, seen = [], True, False
        for ch in line:
            if ch in openers:
                stack.append(ch)
                seen = True
            elif ch in opener:
                seen = True
                if not stack or stack.pop() != opener[ch]:
                    ok = False
                    break
        if seen:
            counted += 1
            balanced += ok and not stack
    return (balanced / counted if counted else float("nan")), counted


def quote_balanced_rate(texts, quote: str = '"') -> tuple[float, int]:
    """Of the lines that hold ``quote``, the fraction holding an even number of them.

    Returns ``(rate, number of lines with a quote)``.
    """
    counts = [line.count(quote) for line in _lines("quote_balanced_rate", texts)]
    counted = [c for c in counts if c]
    return (sum(c % 2 == 0 for c in counted) / len(counted) if counted else float("nan")), len(counted)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def line_pairs(texts) -> list[tuple[str, str]]:
    """Consecutive pairs of non-blank lines within each text (a sample's first and last lines
    are cut off mid-way, so they are dropped)."""
    pairs = []
    for t in [texts] if isinstance(texts, str) else texts:
        lines = t.split("\n")[1:-1]
        pairs += [(a, b) for a, b in zip(lines, lines[1:]) if a.strip() and b.strip()]
    return pairs


def indent_kept_rate(texts) -> tuple[float, int]:
    """Of consecutive non-blank lines where the first is indented, the fraction where the
    second has exactly the same indentation (code blocks and grammar rules in the corpus).

    Returns ``(rate, number of such pairs)``.
    """
    pairs = [(a, b) for a, b in line_pairs(texts) if _indent(a) > 0]
    return (sum(_indent(a) == _indent(b) for a, b in pairs) / len(pairs) if pairs else float("nan")), len(pairs)


def distinct_ngram_rate(texts, n: int = 4) -> float:
    """Distinct character n-grams over all n-grams of the texts: 1 when nothing repeats, near
    0 for a sample stuck in a loop."""
    if isinstance(texts, str):
        texts = [texts]
    grams = [t[i : i + n] for t in texts for i in range(len(t) - n + 1)]
    if not grams:
        raise argument_error("distinct_ngram_rate", "texts", f"hold no {n}-gram", "pass longer samples")
    return len(set(grams)) / len(grams)
