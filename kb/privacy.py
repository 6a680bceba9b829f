"""Masking personal numbers out of customer text before anything is stored.

`mask(text)` replaces, in this order:

- e-mail addresses → `[邮箱]`;
- mobile numbers (11 digits starting 13–19, optionally after +86 / 0086 / 86) → `[手机号]`;
- 18-digit ID numbers (17 digits and a check digit or X, with a plausible birth date) → `[身份证号]`;
- bank card numbers (13–19 digits) → `[卡号]`;
- any other run of 20 or more digits (it may hold one of the above) → `[号码]`.

Numbers are found the way people type them: full-width or other scripts' digits
(`１３８…`), groups separated by spaces or dashes (`6222 0212 3456 7890`,
`138-1234-5678`). A run of digit groups is split at group boundaries into the
numbers it holds (`13812345678 100` is a phone number and an amount); a number is
only recognised as a whole run between non-digits, never inside a longer run
(an 11-digit piece of a 25-digit order number is not a phone number: the whole
run is masked as `[号码]`). When in doubt, mask: a date range typed as 16 digits
becomes `[卡号]`, which costs a little analytics and leaks nothing.

Pure text processing: no web, no storage.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CARD, PHONE, ID_NUMBER, EMAIL, NUMBER = "[卡号]", "[手机号]", "[身份证号]", "[邮箱]", "[号码]"

# An address is found from its `@`: the local part before it (read backwards, at most
# 64 characters) and the domain after it, so no match is retried from every start.
_LOCAL_CHAR = re.compile(r"[A-Za-z0-9._%+\-\u00c0-\u024f]")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
                     r"[A-Za-z0-9])?){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])")
# Digits joined by a space, a dash, or a dash with a space on either side; an
# ID number may end in X. Separators are bounded, so matching stays linear.
_SEPARATOR = r"(?:[ \t]?-[ \t]?|[ \t]{1,2})"
_RUN = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEPARATOR}[0-9]+)*(?:{_SEPARATOR}?[Xx](?![A-Za-z]))?")
_GROUP = re.compile(r"[0-9]+|[Xx]")
_MOBILE = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
_ANY_DIGIT = re.compile(r"\d")  # any script's decimal digits
_LONGEST = 19  # digits of the longest number recognised (a card)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"


@lru_cache(maxsize=4096)
def _plain(char: str) -> str:
    """One character as the patterns see it: ASCII digits and forms, separators as a space."""
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    if "\uff01" <= char <= "\uff5e":  # full-width ASCII forms: ＠ Ａ ＋ －
        return chr(ord(char) - 0xFEE0)
    if char in _DASHES:
        return "-"
    if char.isspace() or unicodedata.category(char) == "Cf":  # U+3000, NBSP, zero-width spaces
        return " "
    return char


def _plain_text(text: str) -> str:
    """`text` with every character made plain; one character for one, so offsets stay true."""
    if text.isascii():
        return text
    return "".join(_plain(c) for c in text)


def mask(text: str, keep: frozenset[str] = frozenset()) -> str:
    """`text` with card, mobile, ID numbers and e-mail addresses replaced by their labels;
    those whose label is in `keep` stay as typed (a contact given to be called back on)."""
    if not text or ("@" not in text and "＠" not in text and not _ANY_DIGIT.search(text)):
        return text  # most text: nothing to look at
    plain = _plain_text(text)
    spans: list[tuple[int, int, str]] = []
    spans.extend(_addresses(plain))
    if spans:  # numbers of an address are not numbers of their own
        blanked = list(plain)
        for start, end, _ in spans:
            blanked[start:end] = "@" * (end - start)
        plain = "".join(blanked)
    for match in _RUN.finditer(plain):
        spans.extend(_numbers_in_run(match))
    spans = [span for span in spans if span[2] not in keep]
    if not spans:
        return text
    spans.sort()
    out, last = [], 0
    for start, end, label in spans:
        out.append(text[last:start])
        out.append(label)
        last = end
    out.append(text[last:])
    return "".join(out)


def _addresses(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of the e-mail addresses in `text`."""
    spans, at = [], text.find("@")
    while at >= 0:
        head = at
        while head > max(0, at - 64) and _LOCAL_CHAR.match(text, head - 1):
            head -= 1
        domain = _DOMAIN.match(text, at + 1)
        if head < at and domain and (not spans or head >= spans[-1][1]):
            spans.append((head, domain.end(), EMAIL))
        at = text.find("@", at + 1)
    return spans


def _numbers_in_run(run: re.Match) -> list[tuple[int, int, str]]:
    """(start, end, label) of the numbers in one run of digit groups.

    From each group on, the longest stretch of whole groups that forms a mobile
    number is taken first, then an ID number, then a card number; a group that
    starts none of them stays as typed, unless it alone is 20 digits or longer.
    """
    offset = run.start()
    groups = [(m.start() + offset, m.end() + offset, m.group()) for m in _GROUP.finditer(run.group())]
    spans, i = [], 0
    while i < len(groups):
        stretches, digits = [], ""  # (last group, digits) of the stretches from group i, short enough
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > _LONGEST:
                break
            stretches.append((j, digits))
        found = next(((j, label) for kind in (_is_mobile, _is_id_number, _is_card)
                      for j, digits in reversed(stretches) if (label := kind(digits))), None)
        if found:
            spans.append((groups[i][0], groups[found[0]][1], found[1]))
            i = found[0] + 1
            continue
        if len(groups[i][2]) >= 20:
            spans.append((groups[i][0], groups[i][1], NUMBER))
        i += 1
    return spans


def _is_mobile(digits: str) -> str | None:
    return PHONE if _MOBILE.fullmatch(digits) else None


def _is_id_number(digits: str) -> str | None:
    if len(digits) != 18 or not digits[:17].isdigit() or not (digits[17].isdigit() or digits[17] in "Xx"):
        return None
    year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    return ID_NUMBER if 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31 else None


def _is_card(digits: str) -> str | None:
    return CARD if digits.isdigit() and 13 <= len(digits) <= 19 else None
