"""The kinds of value a question asks for and a section states (search.answer_types)."""

from __future__ import annotations

import pytest

from search.answer_types import asked, values
from tests.conftest import SHARED, real_pages


@pytest.mark.parametrize("question, kinds", [
    ("退款多久到账", ["duration"]),
    ("信用卡退款要几天", ["duration"]),
    ("投诉多長時間有結果", ["duration"]),  # traditional characters are folded first
    ("how long does a refund take", ["duration"]),
    ("客服几点下班", ["clock"]),
    ("还款日是几号", ["date"]),
    ("每天最多提现多少", ["amount"]),
    ("how much is the withdrawal fee", ["amount"]),
    ("忘记支付密码", []),
    ("how do I add a card", []),
])
def test_what_a_question_asks_for(question, kinds):
    assert asked(question) == kinds


@pytest.mark.parametrize("text, kinds", [
    ("储蓄卡：1–7 个工作日", ["duration"]),
    ("Debit card: 1–7 business days", ["duration"]),
    ("审核通常在二十四小时内完成", ["duration"]),
    ("客服热线每天 8:00–22:00", ["clock"]),
    ("每月 10 日自动还款", ["date"]),
    ("单笔上限 5 万元，手续费 0.1%", ["amount"]),
    ("在线客服中输入人工即可转接", []),
    ("Open the original payment and note the refund number.", []),
])
def test_what_a_section_states(text, kinds):
    assert values(text) == kinds


def test_values_finds_what_searching_each_pattern_finds_on_real_text():
    """`values` tries the patterns only where a value can start; on every section of the starter
    articles and of tldr pages (English and Chinese) and on edge cases it finds what `search` does."""
    from kb.articles import parse_article
    from search.answer_types import VALUES, _folded

    texts = [f"{s.heading}\n{s.text}" for p in real_pages(600)
             for s in parse_article(p.read_bytes(), "x-" + p.name).sections]
    texts += ["每月 10 日", "每个月  ３ 号", "次月 十五 日常", "pay $ 5 now", "¥5", "€ 20",
              "on the day of each month",
              "the 2nd", "2023点", "12345:67", "at 12:30", "5pm", "5 am", "10 %", "三 至 五 个工作日",
              "1.5 to 2 hours", "٣ days", "", "no numbers here"]
    assert len(texts) > (1000 if (SHARED / "corpora" / "tldr").exists() else 100)  # starter KB alone: 161
    found = 0
    for text in texts:
        expected = [kind for kind, pattern in VALUES.items() if pattern.search(_folded(text))]
        assert values(text) == expected, text[:80]
        found += bool(expected)
    assert found > 20


def test_values_of_a_long_run_of_digits_is_quick():
    """Every digit is a place a value may start: an unbounded number made each try read the rest
    of the run (8,000 digits: 13 s). A number longer than the bound still counts by its end."""
    import time

    started = time.perf_counter()
    assert values("1" * 20000) == [] and values("一" * 20000) == []
    assert time.perf_counter() - started < 2.0  # linear: ~0.05 s
    assert values("1" * 40 + " 天") == ["duration"] and values("十" * 30 + "天") == ["duration"]
