"""The answer bot: answers a customer only when the search is sure, otherwise offers a human.

`reply(index, question)` decides from `SearchResults.confidence` alone (the rule of
the relevance work): "high" answers with the best answer unit; "low" offers up to
three articles and a hand-over, "none" a hand-over only. A customer who asks for a person
(转人工, 人工客服, talk to a person…) is handed over at once, without a search; one
who says the answer did not help (没帮助, not helpful…) is offered a person too. A
follow-up that leaves out what it is about (信用卡的呢, 那充值呢, what about credit
cards?) is asked together with the conversation's last question of its own.
The bot searches public articles only, whoever asks: internal playbooks never
answer a customer.

No Flask here: `kb eval --triage` runs the same decisions as `/api/ask`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from search.analysis import fold_text
from search.results import Answer, ArticleHit
from search.searcher import SearchIndex

MAX_ARTICLES = 3
REASONS = ("no_answer", "low_confidence", "asked_for_human", "not_helpful")

# Matched on the folded, lower-cased message (traditional characters already simplified).
_ASKS_FOR_HUMAN = re.compile(
    r"转人工|人工客服|人工服务|人工坐席|人工在线|找人工|要人工|接人工|转接人工|真人客服|真人服务|找真人|客服人员|"
    r"^\W*人工\W*$|^\W*客服\W*$|"
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|some\s*one|your\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:person|human|agent|someone|somebody|representative|operator|people)\b|"
    r"\b(?:real|live|human)\s+(?:person|human|agent|representative|support)\b|"
    r"\bcustomer\s+service\s+(?:agent|representative|rep)\b|"
    r"^\W*(?:agent|human|operator|representative)(?:\s+please)?\W*$")
_SAYS_NOT_HELPFUL = re.compile(
    r"^\W*(?:没帮助|没有帮助|没帮上|没用|没有用|不是这个|不对|答非所问|不是我要的|"
    r"not helpful|unhelpful|(?:that\s+)?(?:did\s*n[o']?t|does\s*n[o']?t)\s+help|useless|wrong answer)\W*$")


# A follow-up names only what changes: in Chinese at most six characters besides 那 / 如果是 / 要是 /
# 还有 before them and 的 / 的话 / 呢 after them, ending in 呢 or opening with one of those; in
# English at most eight words opening with "what about", "how about", "and for", "what if"…
_FOLLOW_UP_OPENING = "那么?|那如果|如果是|要是|还有"
_FOLLOW_UP_ZH = re.compile(rf"(?:{_FOLLOW_UP_OPENING})?.{{1,6}}?(?:的话|的)?呢?")
_FOLLOW_UP_EN = re.compile(r"^(?:what|how)\s+about\b|^and\s+(?:for|if|with|what|how|on|in|to)\b|^what\s+if\b")
FOLLOW_UP_WORDS = 8
_SURENESS = {"none": 0, "low": 1, "high": 2}


def is_follow_up(message: str) -> bool:
    """Whether `message` asks on about the question before it, naming only what changes."""
    text = fold_text(message).lower().strip()
    bare = re.sub(r"[\W_]+", "", text)
    if not bare:
        return False
    if re.search(r"[\u4e00-\u9fff]", bare) and (bare.endswith("呢") or re.match(_FOLLOW_UP_OPENING, bare)):
        # A Latin name counts as one character: 那 Apple Pay 呢 names one thing.
        return bool(_FOLLOW_UP_ZH.fullmatch(re.sub(r"[a-z0-9]+", "x", bare)))
    return bool(_FOLLOW_UP_EN.match(text)) and len(text.split()) <= FOLLOW_UP_WORDS


def topic(earlier: Sequence[str]) -> str:
    """The last of the customer's `earlier` messages that was a question of its own (not a
    follow-up, not asking for a person, not saying an answer did not help), or ""."""
    for message in reversed(earlier):
        if not (is_follow_up(message) or asks_for_human(message) or says_not_helpful(message)):
            return message
    return ""


def asks_for_human(message: str) -> bool:
    """Whether `message` asks for a person rather than an answer."""
    return bool(_ASKS_FOR_HUMAN.search(fold_text(message).lower()))


def says_not_helpful(message: str) -> bool:
    """Whether `message` only says that the last answer did not help."""
    return bool(_SAYS_NOT_HELPFUL.search(fold_text(message).lower()))


@dataclass
class Reply:
    """What the bot shows for one question."""

    confidence: str  # high | low | none, from the search
    answer: Answer | None = None
    articles: list[ArticleHit] = field(default_factory=list)
    handover: bool = False  # whether a person is offered
    reason: str | None = None  # one of REASONS when a person is offered
    found: int | None = None  # articles the search found (None: no search was run)
    searched: str | None = None  # what was searched: the question, or a follow-up with its topic

    def to_dict(self) -> dict:
        """The reply as `/api/ask` returns it (without the conversation)."""
        return {"confidence": self.confidence,
                "answer": asdict(self.answer) if self.answer else None,
                "articles": [asdict(a) for a in self.articles],
                "handover": {"offered": self.handover, "reason": self.reason}}


def reply(index: SearchIndex, question: str, not_helpful_before: bool = False,
          earlier: Sequence[str] = ()) -> Reply:
    """The bot's reply to `question`; `not_helpful_before`: the customer already voted an answer
    of this conversation unhelpful, so a person is offered beside any answer; `earlier`: the
    customer's earlier messages in the conversation, oldest first."""
    if asks_for_human(question):
        return Reply("none", handover=True, reason="asked_for_human")
    if says_not_helpful(question):
        return Reply("none", handover=True, reason="not_helpful")
    searched, results = question, index.search(question, limit=MAX_ARTICLES, internal=False)
    about = topic(earlier) if is_follow_up(question) else ""
    if about:
        # A follow-up answers alone where it finds the topic's article (its own words choose the
        # section: 提现多久到账 → 那手续费呢 is the fee, not the delay); with its topic where alone
        # it finds another (退款多久到账 → 那余额呢 is a refund to the balance, not a low balance).
        together = index.search(f"{about} {question}", limit=MAX_ARTICLES, internal=False)
        on_topic = (bool(results.articles and together.articles)
                    and results.articles[0].id == together.articles[0].id)
        sure_alone = results.confidence == "high" and (on_topic or together.confidence != "high")
        if not sure_alone and _SURENESS[together.confidence] >= _SURENESS[results.confidence]:
            searched, results = f"{about} {question}", together
    # With confidence "none" nothing holds a word of the question (what was found shares letters
    # or characters with it): no article is offered, as the help center shows its no-results page.
    articles = results.articles[:MAX_ARTICLES] if results.confidence != "none" else []
    if results.confidence == "high" and results.answers:
        reason = "not_helpful" if not_helpful_before else None
        return Reply("high", results.answers[0], articles, not_helpful_before, reason, results.total,
                     searched)
    reason = "low_confidence" if results.confidence == "low" else "no_answer"
    return Reply(results.confidence, None, articles, True, reason, results.total, searched)
