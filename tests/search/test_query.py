import pytest

from search.query import MAX_QUERY_CHARS, clean_query


@pytest.mark.parametrize(("raw", "clean"), [
    ("退款\x00到账", "退款到账"),            # NUL inside a word joins it again (PostgreSQL cannot store NUL)
    ("退款\u200b到账", "退款到账"),          # zero-width space is a format character, not a separator
    ("refund\ttime\nline", "refund time line"),
    ("  退款\u3000 到账 ", "退款 到账"),     # ideographic space is a separator
    ("\x00\x01", ""),
])
def test_clean_query_drops_controls_and_keeps_separators(raw, clean):
    assert clean_query(raw) == clean


def test_clean_query_caps_the_length():
    assert len(clean_query("退" * (MAX_QUERY_CHARS + 50))) == MAX_QUERY_CHARS


def test_neighbouring_pieces_that_make_a_dictionary_word_are_joined():
    from search.analysis import Analyzer
    from search.query import parse_query

    parsed = parse_query("每天最多提现多少", Analyzer(), {})
    words = [c.alternatives[0][0][0] for c in parsed.concepts]
    assert "最多" in words
    head = words.index("最多")
    assert (head, sorted([words.index("最"), words.index("多")])) in parsed.groups


def test_a_hyphenated_word_also_stands_joined_heading_its_parts():
    from search.analysis import Analyzer
    from search.query import parse_query

    parsed = parse_query("keep-alive 缓存", Analyzer(), {})
    words = [c.alternatives[0][0][0] for c in parsed.concepts]
    assert words[:2] == ["keep", "aliv"] and "keepal" in words  # as <KeepAlive> is indexed
    assert (words.index("keepal"), [0, 1]) in parsed.groups


def test_an_unknown_word_no_article_holds_gets_the_held_words_inside_it():
    from search.analysis import Analyzer
    from search.query import add_found_parts, parse_query

    held = {"防抖", "输入框", "首屏"}
    holding = lambda terms: int(all(t in held for t in terms))  # noqa: E731

    parsed = parse_query("给输入框做一个带防抖的 ref", Analyzer(), {})
    add_found_parts(parsed, holding, 1.0)
    by_word = {c.alternatives[0][0][0]: c.alternatives for c in parsed.concepts}
    assert by_word["带防抖"] == [(("带防抖",), 1.0), (("防抖",), 1.0)]
    assert by_word["输入框"] == [(("输入框",), 1.0)]  # held itself: left as it is

    off = parse_query("给输入框做一个带防抖的 ref", Analyzer(), {})
    add_found_parts(off, holding, 0.0)
    assert all(len(c.alternatives) == 1 for c in off.concepts)


@pytest.mark.parametrize(("question", "joined"), [
    ("i cant log in", ["login"]),  # a particle may end it
    ("keep alive include by name", ["keepal"]),
    ("hook on mount", []),  # a stop word first: onMounted is another thing
    ("my component inside a table", []),
    ("sign up today", []),  # no article holds "signup"
])
def test_two_words_pages_write_as_one_head_a_group_of_them(question, joined):
    from search.analysis import Analyzer
    from search.query import add_joined_words, parse_query

    held = {"login", "keepal", "onmount", "mycompon"}
    holding = lambda terms: int(all(t in held for t in terms))  # noqa: E731
    parsed = parse_query(question, Analyzer(), {})
    add_joined_words(parsed, Analyzer(), holding)
    words = [c.alternatives[0][0][0] for c in parsed.concepts]
    assert [words[n] for n in parsed.joined] == joined
    if joined == ["keepal"]:
        assert (words.index("keepal"), [words.index("keep"), words.index("aliv")]) in parsed.groups
