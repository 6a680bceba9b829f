"""Snippets (search.highlight): which window of a text is shown, and what is marked."""

from search.analysis import Analyzer
from search.highlight import snippet

TEXT = ("Alpha beta gamma, then alpha and beta again. " + "Nothing here is worth showing at all. " * 4
        + "The word zeta appears once, here.")


def test_the_window_holds_the_most_different_words_then_the_most_telling():
    analyzer = Analyzer()
    terms = {"alpha", "beta", "gamma", "zeta"}
    plain = snippet(TEXT, terms, analyzer)
    assert "<mark>gamma</mark>" in plain and "zeta" not in plain  # three different words beat one
    weighted = snippet(TEXT, terms, analyzer, weights={"zeta": 5.0, "alpha": 1.0, "beta": 1.0, "gamma": 1.0})
    assert "<mark>zeta</mark>" in weighted  # one rare word tells more than three common ones


def test_the_prose_is_shown_unless_only_the_code_holds_the_words():
    analyzer = Analyzer()
    text, prose = "cache(include)\nChoose what the cache keeps.", "Choose what the cache keeps."
    assert snippet(text, {"cach"}, analyzer, prose=prose) == "Choose what the <mark>cache</mark> keeps."
    assert "<mark>include</mark>" in snippet(text, {"includ"}, analyzer, prose=prose)
