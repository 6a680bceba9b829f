"""Rendering: anchors match answer units; the HTML is sanitized."""

import pytest

from kb.articles import parse_article
from kb.render import render_article_html, sanitize_html


def render(body: str) -> str:
    return render_article_html(parse_article(f"---\ntitle: T\n---\n{body}".encode(), "a/b.md"))


def test_units_have_anchor_ids_in_html():
    html = render("Lead.\n\n## 余额不足\ntext\n\n**1. 提现多久到账？**\n2 小时。\n")
    assert 'id="overview"' in html
    assert '<h2 id="余额不足">' in html
    assert 'id="提现多久到账"' in html


def test_tables_and_relative_md_links():
    html = render("| a | b |\n| - | - |\n| 1 | 2 |\n\n[see](../other.md#x)\n")
    assert "<table>" in html and "<td>1</td>" in html
    assert 'href="/articles/other#x"' in html


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe src="http://evil"></iframe>',
    '<svg onload="alert(1)"></svg>',
])
def test_script_never_survives(payload):
    html = render(payload + "\n")
    lowered = html.lower()
    assert "<script" not in lowered and "onerror" not in lowered and "onload" not in lowered
    assert "javascript:" not in lowered and "<iframe" not in lowered and "data:text" not in lowered


def test_data_images_are_kept_but_not_data_links():
    html = sanitize_html('<img src="data:image/png;base64,AAAA" alt="x">'
                         '<a href="data:image/png;base64,AA">y</a>')
    assert 'src="data:image/png;base64,AAAA"' in html
    assert 'href="data:' not in html
