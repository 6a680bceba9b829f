"""What kind of value a question asks for, and which kinds of value a section states.

A question such as 退款多久到账 / "how long does a refund take" asks for a duration: its
answer is the section that states one (`储蓄卡：1–7 个工作日`, `1–7 business days`),
usually a table, not the neighbouring section whose heading repeats the question's
words. These are rules of the languages, not of any knowledge base:

- `duration`: 多久, 多长时间, 几天, 几个工作日, how long, how many days… — answered
  by a number with a unit of time (3 个工作日, 24 小时, 1–7 business days);
- `clock`: 几点, 什么时间, what time, opening hours… — answered by a time of day (8:00);
- `date`: 几号, 哪天, which day, what date… — answered by a day of the month (每月 10 日);
- `amount`: 多少钱, 最多…多少, 上限, 手续费多少, how much, what is the limit… — answered by
  a number with a currency or percent sign (5 万元, 0.1%, $500).

The indexer stores each unit's kinds (`values`) as terms of the `u_values` field; a
search adds the kinds its question asks (`asked`) to the evidence for choosing units.
"""

from __future__ import annotations

import re

from search.analysis import fold_text

# A number of at most 15 digits (or 10 numerals): `values` tries a pattern at every digit, and an
# unbounded run made each try read to the end of a long one (a line of 8,000 digits took 13 s).
# Since every digit is tried, a longer number still matches through its last digits.
_NUMBER = r"(?:\d{1,15}(?:[.,]\d{1,15})?|[一二两三四五六七八九十百千半几]{1,10})"
_RANGE = rf"{_NUMBER}(?:\s*(?:[-–~～至到]|to)\s*{_NUMBER})?"

ASKS = {
    "duration": re.compile(
        r"多久|多长时间|多少时间|多长期限|几天|多少天|几个?(?:工作日|小时|钟头|星期|礼拜|月)|多少个?(?:工作日|小时)"
        r"|how long|how many (?:business |working )?(?:days|hours|minutes|weeks|months)|how soon"),
    "clock": re.compile(r"几点|什么时间|哪个时间段|营业时间|what time|opening hours|business hours"),
    "date": re.compile(r"几号|哪天|哪一天|什么日子|which day|what date|what day"),
    "amount": re.compile(r"多少钱|最多.{0,6}多少|最少.{0,6}多少|上限|限额多少|额度多少|费用?多少|费率"
                         r"|how much|what(?:'s| is) the (?:limit|fee|maximum|minimum)|maximum|minimum"),
}

VALUES = {
    "duration": re.compile(
        rf"{_RANGE}\s*(?:个)?(?:工作日|自然日|天|小时|分钟|周|星期|个月|年)"
        rf"|{_RANGE}\s*(?:business |working |calendar )?(?:days?|hours?|minutes?|weeks?|months?|years?)\b"),
    "clock": re.compile(r"\b\d{1,2}[:：]\d{2}\b|\d{1,2}\s*(?:点|时)(?:\d{1,2}分?)?|\b\d{1,2}\s*(?:am|pm)\b"),
    "date": re.compile(rf"(?:每月|每个月|当月|次月)?\s*{_NUMBER}\s*(?:号|日)(?!常)"
                       r"|\b\d{1,2}(?:st|nd|rd|th)\b|day of (?:the|each|every) month"),
    "amount": re.compile(rf"{_RANGE}\s*(?:万|千)?\s*(?:元|块|人民币|美元|港币)|[¥$€£]\s*\d|\d\s*%"
                         rf"|{_NUMBER}\s*(?:dollars|euros|pounds|usd|eur|gbp|cny|rmb)\b"),
}

KINDS = tuple(ASKS)
TERM_PREFIX = "kind_"  # a kind as an index term, out of the way of words


def _folded(text: str) -> str:
    return fold_text(text).lower()


def asked(text: str) -> list[str]:
    """The kinds of value the question `text` asks for (usually none, at most a few)."""
    folded = _folded(text)
    return [kind for kind, pattern in ASKS.items() if pattern.search(folded)]


# Where a match of a `VALUES` pattern can start: every alternative of every kind starts with a
# number (`_NUMBER`: a digit or a Chinese numeral) or a currency sign — the optional 每月… and
# spaces before a date's number only widen a match that also starts at the number — except the
# date's "day of … month". Trying the patterns at those places only (a tenth of the characters of
# a section, or none) finds a match exactly when `search` would, an order of magnitude faster:
# indexing asks `values` of every section.
_VALUE_STARTS = re.compile(r"[\d一二两三四五六七八九十百千半几¥$€£]")
_DAY_OF_MONTH = re.compile(r"day of (?:the|each|every) month")


def values(text: str) -> list[str]:
    """The kinds of value `text` states."""
    folded = _folded(text)
    starts = [m.start() for m in _VALUE_STARTS.finditer(folded)]
    found = []
    for kind, pattern in VALUES.items():
        match = pattern.match
        if any(match(folded, start) for start in starts) or (kind == "date" and _DAY_OF_MONTH.search(folded)):
            found.append(kind)
    return found


def term(kind: str) -> str:
    return TERM_PREFIX + kind
