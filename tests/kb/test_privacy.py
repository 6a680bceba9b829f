"""Masking card, mobile and ID numbers and e-mail addresses: examples, edge cases and properties."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.privacy import CARD, EMAIL, ID_NUMBER, NUMBER, PHONE, mask

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("text, expected", [
    ("我的卡号6222021234567890123，手机13812345678", f"我的卡号{CARD}，手机{PHONE}"),
    ("卡号 6222 0212 3456 7890 扣款两次", f"卡号 {CARD} 扣款两次"),
    ("6222-0212-3456-7890", CARD),
    ("6222 - 0212 - 3456 - 7890", CARD),
    ("4111111111111", CARD),  # 13 digits
    ("4111111111111111111", CARD),  # 19 digits
    ("+86 138 1234 5678 找我", f"+{PHONE} 找我"),
    ("0086 13812345678", PHONE),
    ("138-1234-5678", PHONE),
    ("１３８１２３４５６７８", PHONE),  # full-width digits
    ("１３８　１２３４　５６７８", PHONE),  # full-width spaces
    ("６２２２－０２１２－３４５６－７８９０", CARD),  # full-width dashes
    ("١٣٨١٢٣٤٥٦٧٨", PHONE),  # Arabic-Indic digits
    ("身份证11010119900307123X", f"身份证{ID_NUMBER}"),
    ("身份证 110101 19900307 1234 谢谢", f"身份证 {ID_NUMBER} 谢谢"),
    ("110101199003071234", ID_NUMBER),
    ("mail me a.b+c@qq.com or 13812345678@163.com", f"mail me {EMAIL} or {EMAIL}"),
    ("邮箱ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ好的", f"邮箱{EMAIL}好的"),
    ("订单12345678901234567890123", f"订单{NUMBER}"),  # a phone-like piece inside a longer run
    ("x12345678901234567890123y", f"x{NUMBER}y"),
    ("13812345678 100元", f"{PHONE} 100元"),
    ("13812345678 6222021234567890", f"{PHONE} {CARD}"),
    ("6222\u200b0212\u200b3456\u200b7890", CARD),  # zero-width spaces between groups
])
def test_examples(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize("text", [
    "退款多久到账", "热线 400-800-1234", "退款 200 元", "验证码 123456", "2026-11-25", "12345678901",
    "123456789012", "", "refund@", "a@b", "V2.3.1", "订单 20261125", "Apple Pay",
])
def test_what_is_not_personal_is_kept(text):
    assert mask(text) == text


def test_long_hostile_input_is_quick():
    import time

    started = time.perf_counter()
    out = mask("1 " * 5000 + "-" * 5000 + "1-" * 5000 + "a@" * 3000)
    assert time.perf_counter() - started < 2.0  # linear: ~0.1 s; backtracking took minutes
    assert not re.search(r"\d{13,}", out)


# ---- properties ------------------------------------------------------------------------------

NOT_DIGIT = st.text(st.characters(blacklist_categories=["Nd", "Cs"], blacklist_characters="@-\uff0d"),
                    max_size=20)


def grouped(digits: str, sizes: list[int], separator: str) -> str:
    """`digits` cut into groups of `sizes` (cycled), joined by `separator`."""
    out, i, n = [], 0, 0
    while i < len(digits):
        size = sizes[n % len(sizes)]
        out.append(digits[i:i + size])
        i, n = i + size, n + 1
    return separator.join(out)


@st.composite
def typed(draw, digits_strategy):
    """A number as a person types it: compact or grouped, ASCII or full-width."""
    digits = draw(digits_strategy)
    style = draw(st.sampled_from(["compact", "grouped"]))
    if style == "grouped":
        sizes = draw(st.lists(st.integers(3, 6), min_size=1, max_size=3))
        separator = draw(st.sampled_from([" ", "-", " - ", "\u3000", "\uff0d"]))
        text = grouped(digits, sizes, separator)
    else:
        text = digits
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return digits, text


CARDS = st.integers(13, 19).flatmap(lambda n: st.from_regex(rf"\A[3-6][0-9]{{{n - 1}}}\Z"))
MOBILES = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
IDS = st.builds(lambda area, y, m, d, seq, check: f"{area}{y}{m:02d}{d:02d}{seq}{check}",
                st.from_regex(r"\A[1-6][0-9]{5}\Z"), st.integers(1930, 2020), st.integers(1, 12),
                st.integers(1, 28), st.from_regex(r"\A[0-9]{3}\Z"), st.sampled_from(list("0123456789X")))
EMAILS = st.from_regex(r"\A[a-z0-9][a-z0-9._+-]{0,15}@[a-z0-9]{1,10}\.(com|cn|net|org)\Z")


def plain_digits(text: str) -> str:
    """`text` with every decimal digit, of any script, as an ASCII digit."""
    return "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in text)


def digits_of(text: str) -> str:
    return "".join(c for c in plain_digits(text) if c.isascii() and c.isdigit())


@settings(max_examples=150, deadline=None)
@given(before=NOT_DIGIT, number=typed(CARDS), after=NOT_DIGIT)
def test_a_card_in_any_text_is_masked(before, number, after):
    digits, text = number
    out = mask(before + text + after)
    assert CARD in out or PHONE in out or ID_NUMBER in out
    assert digits not in digits_of(out)


@settings(max_examples=100, deadline=None)
@given(before=NOT_DIGIT, number=typed(MOBILES), after=NOT_DIGIT)
def test_a_mobile_number_in_any_text_is_masked(before, number, after):
    digits, text = number
    out = mask(before + text + after)
    assert PHONE in out and digits not in digits_of(out)


@settings(max_examples=100, deadline=None)
@given(before=NOT_DIGIT, number=IDS, after=NOT_DIGIT.filter(lambda s: not s[:1].isalpha()))
def test_an_id_number_in_any_text_is_masked(before, number, after):
    out = mask(before + number + after)
    assert ID_NUMBER in out and number[:17] not in digits_of(out)


@settings(max_examples=100, deadline=None)
@given(before=NOT_DIGIT.map(lambda s: s + " "), address=EMAILS, after=NOT_DIGIT.map(lambda s: " " + s))
def test_an_email_address_in_any_text_is_masked(before, address, after):
    out = mask(before + address + after)
    assert EMAIL in out and address not in out


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_masking_is_idempotent_and_leaves_no_long_digit_run(text):
    out = mask(text)
    assert mask(out) == out
    assert not re.search(r"[0-9]{13,}", plain_digits(out))


@settings(max_examples=100, deadline=None)
@given(NOT_DIGIT)
def test_text_without_digits_or_addresses_is_unchanged(text):
    assert mask(text) == text
