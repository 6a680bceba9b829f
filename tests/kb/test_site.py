"""The site file (`_site.yml`): validated with file, line and key; read by the site."""

from kb.check import check_articles
from kb.site import load_site, parse_site


def test_texts_per_language_or_one_for_all():
    site, problems = parse_site("name: {zh: 文档中心, en: Docs}\ntagline: Read me\n"
                                "contact: {zh: [电话 123, 在线客服], en: [Phone 123, Chat]}\n"
                                "featured: [a, b]\n")
    assert problems == []
    assert site.text("name", "zh") == "文档中心" and site.text("name", "en") == "Docs"
    assert site.text("tagline", "zh") == site.text("tagline", "en") == "Read me"
    assert site.text("contact", "zh") == "电话 123；在线客服"
    assert site.text("contact", "en") == "Phone 123; Chat"
    assert site.featured == ("a", "b")


def test_problems_name_line_and_key():
    _, problems = parse_site("name: ok\ntagline: {fr: Bonjour}\nfeatured: {a: 1}\nlogo: x.png\n")
    found = {(p.line, p.level, p.message.split(":")[0]) for p in problems}
    assert (2, "error", "`tagline`") in found and (3, "error", "`featured`") in found
    assert any(p.line == 4 and p.level == "warning" and "unknown key `logo`" in p.message for p in problems)
    _, problems = parse_site("name: [unclosed\n")
    assert problems[0].path == "_site.yml" and "invalid YAML" in problems[0].message


def test_missing_file_is_no_problem_and_check_reports_bad_featured(tmp_path):
    assert load_site(tmp_path) == (load_site(tmp_path)[0], [])
    (tmp_path / "a.md").write_text("# A\n\ntext\n", "utf-8")
    (tmp_path / "_site.yml").write_text("name: X\nfeatured: [a, nowhere]\n", "utf-8")
    messages = [p.format() for p in check_articles(tmp_path)]
    assert messages == ["_site.yml:2: warning: `featured` names 'nowhere', which is no article"]
