"""Text statistics on strings whose answers are counted by hand."""

import pytest

from lstmlab.lm.textstats import balanced_bracket_rate, distinct_ngram_rate, indent_kept_rate, quote_balanced_rate


def test_brackets_close_in_order_on_their_line():
    lines = "f(a[1])\nf(a[1)]\nno brackets\n(open\nclose)\n{}"
    assert balanced_bracket_rate(lines) == (pytest.approx(2 / 5), 5)


def test_quotes_come_in_pairs():
    assert quote_balanced_rate('say "hi"\n"open\nnone\n"a" "b"') == (pytest.approx(2 / 3), 3)


def test_indentation_kept_between_indented_lines():
    text = "first line is cut\n   a = 1\n   b = 2\n      c\n\n   d\nplain\nlast is cut"
    # Pairs with an indented first line: (a, b) kept, (b, c) changed, (d, plain) changed.
    assert indent_kept_rate(text) == (pytest.approx(1 / 3), 3)


def test_distinct_ngrams():
    assert distinct_ngram_rate("abababab", 2) == pytest.approx(2 / 7)
    assert distinct_ngram_rate(["abcd", "efgh"], 4) == 1.0
    with pytest.raises(ValueError, match="distinct_ngram_rate: argument 'texts' hold no 4-gram"):
        distinct_ngram_rate("abc", 4)
