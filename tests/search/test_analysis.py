"""The analyzer: domain words stay whole, particles drop out, text is folded."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.analysis import Analyzer, fold_text
from tests.conftest import real_pages

WORDS = [("花呗", 3000, "nz"), ("微粒贷", None, None), ("Apple Pay", None, None), ("余额不足", None, None)]


def test_domain_words_stay_whole():
    analyzer = Analyzer(WORDS)
    assert "花呗" in analyzer.terms("花呗还款失败")
    assert "微粒贷" in analyzer.terms("微粒贷怎么借款")
    plain = Analyzer()
    assert "花呗" not in plain.terms("花呗还款失败")  # jieba alone splits it


def test_multi_word_term_is_kept_beside_its_parts():
    terms = Analyzer(WORDS).terms("Apple Pay 绑卡失败")
    assert terms[:3] == ["appl", "pay", "applepay"]


def test_a_character_glued_to_a_stop_character_is_a_word_too():
    """jieba's HMM makes 给子 of 给子组件 and 向子 of 向子组件: the content character 子 is a word of
    its own beside them; a dictionary word with a stop character in it (在于) is left whole."""
    analyzer = Analyzer()
    assert analyzer.terms("给子组件") == ["给子", "子", "组件"]
    assert "子" in analyzer.terms("向子组件传递数据")
    assert analyzer.terms("问题在于网络") == ["问题", "在于", "网络"]


def test_question_particles_and_stop_words_are_dropped():
    terms = Analyzer(WORDS).terms("为什么我的付款失败了吗？ Why is the payment failing")
    assert "吗" not in terms and "为什么" not in terms and "the" not in terms
    assert {"付款", "失败", "payment", "fail"} <= set(terms)


def test_traditional_and_full_width_fold_to_the_same_terms():
    analyzer = Analyzer(WORDS)
    assert analyzer.terms("綁定銀行卡") == analyzer.terms("绑定银行卡")
    assert analyzer.terms("帳戶凍結") == analyzer.terms("账户冻结")
    assert analyzer.terms("ＡＰＰＬＥ　ＰＡＹ") == analyzer.terms("apple pay")
    assert len(fold_text("ＡＢＣ綁定")) == 5


@pytest.mark.parametrize("typed", ["I can’t log in", "I can't log in", "i cant log in", "I can‘t log in"])
def test_a_phones_apostrophe_and_a_missing_one_read_as_a_contraction(typed):
    """A phone's keyboard types can’t (U+2019): it was can + t, the lone t a word of the question
    matching any page with a t in code; typed cant or hasnt, the contraction was a rare word."""
    analyzer = Analyzer(WORDS)
    assert analyzer.terms(typed) == ["log"] == [t.text for t in analyzer.pipeline(typed)]
    assert analyzer.terms("it hasn’t arrived") == analyzer.terms("it hasnt arrived") == ["hasn't", "arriv"]
    assert len(fold_text("can’t")) == 5


def test_an_adjective_of_a_time_is_its_noun():
    analyzer = Analyzer(WORDS)
    assert analyzer.terms("daily limit") == ["day", "limit"]
    assert {"day", "limit"} <= set(analyzer.terms("the limit per day"))
    assert analyzer.terms("Monthly fee") == ["month", "fee"]


def test_spans_point_into_the_original_text():
    text = "請問 Apple Pay 綁卡失敗"
    for _term, start, end in Analyzer(WORDS).spans(text):
        assert 0 <= start < end <= len(text)
    assert ("绑卡", 13, 15) in Analyzer(WORDS).spans(text)


def test_latin_char_grams_mark_word_edges():
    from search.analysis import latin_char_grams

    assert latin_char_grams("Top-up") == ["_to", "top", "op_", "_top", "top_", "_up", "up_", "_up_"]
    assert latin_char_grams("花呗") == []
    assert "ｒｅｆ" not in latin_char_grams("ＲＥＦＵＮＤ") and "ref" in latin_char_grams("ＲＥＦＵＮＤ")


def test_han_characters_are_folded_and_skip_other_text():
    from search.analysis import han_characters

    assert han_characters("還款 refund 花呗!") == ["还", "款", "花", "呗"]


def test_latin_words_and_numbers_end_where_chinese_begins():
    analyzer = Analyzer([])
    assert analyzer.terms("iPhone13怎么付款")[0] == "iphone13"
    assert "6222020212345678" in analyzer.terms("我的卡6222020212345678被冻结了")
    assert "冻结" in analyzer.terms("我的卡6222020212345678被冻结了")
    assert analyzer.words("Apple Pay绑卡") == ["apple", "pay"]


def _pipeline_terms(analyzer: Analyzer, text: str) -> list[str]:
    return [t.text for t in analyzer.pipeline(text)]


def _pipeline_spans(analyzer: Analyzer, text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.startchar, t.endchar) for t in analyzer.pipeline(text, chars=True)]


COMPOUNDS = WORDS + [("Google Pay Later", None, None), ("pay later", None, None)]


def _real_texts() -> list[str]:
    """Every starter article and 400 tldr pages of each language (absent without ../shared: the
    starter KB only), and a few made to test folding and compounds."""
    texts = [p.read_text("utf-8") for p in real_pages(400)]
    texts += ["Apple Pay apple pay APPLE  PAY 花呗Apple Pay绑卡", "綁定銀行卡 ＡＰＰＬＥ　ｐａｙ", "",
              "的 了 吗", "Google 的 Pay Later", "Google Pay 花呗 Later"]
    assert sum(map(len, texts)) > 20_000
    return texts


def test_terms_are_exactly_the_pipelines_tokens_on_real_text():
    """`terms` and `spans` (no token objects, remembered segmentations and stems) give what the
    Whoosh pipeline gives, on every starter article and tldr page (English and Chinese), twice over."""
    texts = _real_texts()
    for analyzer in (Analyzer(WORDS), Analyzer(COMPOUNDS), Analyzer()):
        for _ in range(2):  # the second time from what it remembers
            for text in texts:
                assert analyzer.terms(text) == _pipeline_terms(analyzer, text), text[:80]
                assert list(analyzer.spans(text)) == _pipeline_spans(analyzer, text), text[:80]
    # The spelling words: the Latin `word` runs of the analyzer's tokenizer.
    from search.analysis import _RUNS, latin_words

    texts += ["don't e.g. v1.2 hello.world café naïve ＡＢＣ abc_def 中文abc中文 x'y"]
    for text in texts:
        runs = [m.group("word") for m in _RUNS.finditer(fold_text(text)) if m.group("word")]
        assert latin_words(text) == [w.lower() for w in runs if len(w) >= 3 and w.isascii() and w.isalpha()]


def test_matches_are_the_pipelines_spans_of_the_wanted_terms_on_real_text():
    """`matches(text, wanted)` (for snippets: Chinese runs without a wanted term are not segmented)
    gives exactly the spans of the Whoosh pipeline's tokens whose term is wanted, compounds included."""
    texts = _real_texts()
    for analyzer in (Analyzer(COMPOUNDS), Analyzer()):
        for text in texts:
            spans = _pipeline_spans(analyzer, text)
            terms = list(dict.fromkeys(term for term, _, _ in spans))
            for wanted in ({*terms[::3], "applepay", "paylat", "不在文中"}, set(terms[1::5]), set()):
                assert analyzer.matches(text, wanted) == [s for s in spans if s[0] in wanted], text[:80]
    # A Chinese word between two Latin words, left unsegmented, still parts them.
    assert Analyzer(COMPOUNDS).matches("Google 的 Pay Later", {"paylat", "googlepaylat"}) == [
        ("paylat", 9, 18)]


_PIECES = ["Apple", "Pay", "later", "Google", "PAY", "花呗", "的", "绑卡", "失败", "退款到账", "银行卡",
           " ", "  ", "，", "。", "-", "iPhone13", "６", "綁定", "pay", "Later"]
_COMPOUNDS_ANALYZER = Analyzer(COMPOUNDS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14), st.integers(0, 2**16))
def test_matches_are_the_pipelines_spans_of_the_wanted_terms_on_any_mix(pieces, pick):
    """The same on texts mixing Chinese runs, Latin words of the multi-word terms and punctuation
    in every order: a Chinese run between two parts of a compound parts them whether or not it is
    segmented."""
    analyzer, text = _COMPOUNDS_ANALYZER, "".join(pieces)
    spans = _pipeline_spans(analyzer, text)
    terms = sorted({term for term, _, _ in spans} | {"applepay", "paylat", "googlepaylat"})
    wanted = {term for n, term in enumerate(terms) if pick >> (n % 16) & 1}
    assert analyzer.matches(text, wanted) == [s for s in spans if s[0] in wanted]


def _fold_text_whole(text: str) -> str:
    """`fold_text` as it was written first: every character through `fold_char`, and OpenCC's
    phrase-level conversion of the whole text (each Chinese character taken from it when the
    length is unchanged)."""
    import unicodedata

    from search.analysis import _IS_HAN, _T2S, _TRADITIONAL, _VARIANTS, fold_char

    traditional = not _TRADITIONAL.isdisjoint(text)
    if not traditional and unicodedata.is_normalized("NFKC", text):
        return text
    folded = "".join(fold_char(c) for c in text)
    if traditional:
        phrased = _T2S.convert(text).translate(_VARIANTS)
        if len(phrased) == len(text):
            folded = "".join(p if _IS_HAN.match(p) else f for p, f in zip(phrased, folded, strict=True))
    return folded


def test_no_opencc_entry_changes_a_text_without_changing_one_of_its_characters():
    """Why `fold_text` converts only the pieces of a text holding a character of `_TRADITIONAL`:
    every entry of OpenCC's t2s tables that changes its text has such a character."""
    from search.analysis import _T2S, _TRADITIONAL

    tables = [table for group in _T2S._dict_chain_data for table in group]
    assert sum(len(table[2]) for table in tables) > 4000
    for _, _, table in tables:
        for source, target in table.items():
            assert target.split(" ")[0] == source or not _TRADITIONAL.isdisjoint(source), source


def test_fold_text_folds_as_a_conversion_of_the_whole_text_on_real_text():
    """Translated characters and converted pieces give what folding every character and converting
    the whole text gave: on every starter article and tldr page, their paragraphs, the same in
    traditional characters (OpenCC s2twp), and texts whose phrase conversion changes their length
    or that hold compatibility ideographs and full-width letters."""
    from opencc import OpenCC

    from search.analysis import fold_text

    texts = []
    for path in real_pages(300):
        text = path.read_text("utf-8")
        texts += [text, *text.split("\n\n")]
    to_traditional = OpenCC("s2twp")
    texts += [to_traditional.convert(text) for text in texts]
    texts += ["豈更車 乾隆 乾燥 著名 帳戶 ＡＢＣ綁定 ﬁ x\u0301 頭髮 髮型", "乾\n乾燥", "計程車 軟體 滑鼠", "",
              "電腦軟體。電腦，軟體！\u3000記憶體"]
    assert sum(1 for text in texts if text != _fold_text_whole(text)) > 50
    fold_text.cache_clear()
    for text in texts:
        assert fold_text(text) == _fold_text_whole(text), text[:80]
