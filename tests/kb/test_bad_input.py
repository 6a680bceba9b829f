"""Bad articles, all in one folder: `kb check` names each with a reason, `kb index` indexes the
valid ones, nothing is lost, and a symlink's target is never read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.indexer import sync_index
from search.searcher import SearchIndex
from tests.kb.test_cli import kb

VALID = "---\ntitle: {title}\n---\n{body}\n"


@pytest.fixture
def messy_kb(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    root.mkdir()
    write = lambda name, data: (root / name).write_bytes(data if isinstance(data, bytes)  # noqa: E731
                                                         else data.encode("utf-8"))
    write("good.md", VALID.format(title="正常文章", body="正常的正文。[退款](bom-crlf.md)"))
    write("bom-crlf.md", b"\xef\xbb\xbf---\r\ntitle: Windows saved\r\n---\r\nSaved with CRLF.\r\n")
    write("bad-yaml.md", "---\ntitle: ok\ntags: [unclosed\n---\nbody\n")
    write("latin1.md", "---\ntitle: caf\xe9\n---\nna\xefve\n".encode("latin-1"))
    write("gbk.md", "---\ntitle: 支付失败怎么办\n---\n余额不足时，请先充值，再重新付款。\n".encode("gbk"))
    write("utf16.md", "# Saved by PowerShell\r\n\r\nRedirected output.\r\n".encode("utf-16"))
    write("empty.md", b"")
    write("dup-a.md", "---\ntitle: A\nid: same\n---\nfirst\n")
    write("dup-b.md", "---\ntitle: B\nid: same\n---\nsecond\n")
    write("huge.md", b"# Huge\n\n" + b"x" * (5 * 1024 * 1024))
    write("binary.md", bytes(range(256)) * 8)
    write("no-title.md", "just a body without any title\n")
    write("bad-visibility.md", "---\ntitle: V\nvisibility: secret\n---\nbody\n")
    write("unknown-key.md", "---\ntitle: K\ncategroy: x\n---\nbody\n")
    write("dangling.md", "---\ntitle: D\nrelated: [nowhere]\n---\nSee [x](missing.md) and "
                         "[y](/articles/good#no-such-section).\n")
    write("stub.md", "---\ntitle: 只有标题的问题\n---\n")
    write("notes.txt", "not markdown")
    (root / "passwd.md").symlink_to("/etc/passwd")
    return root


EXPECTED_ERRORS = {
    "bad-yaml.md": "YAML", "latin1.md": "UTF-8", "empty.md": "empty file",
    "dup-b.md": "dup-a.md", "huge.md": "1 MB", "binary.md": "",
    "bad-visibility.md": "visibility", "passwd.md": "outside",
}
EXPECTED_WARNINGS = {"unknown-key.md": "category", "dangling.md": "nowhere", "stub.md": "empty body",
                     "gbk.md": "read as GB18030", "utf16.md": "read as UTF-16"}


def test_check_names_every_problem(messy_kb):
    out = kb("check", "--json", "--articles", str(messy_kb))
    assert out.returncode == 1
    problems = json.loads(out.stdout)
    by_path: dict[str, list[dict]] = {}
    for problem in problems:
        by_path.setdefault(problem["path"], []).append(problem)
    for path, words in EXPECTED_ERRORS.items():
        assert any(p["level"] == "error" and words in p["message"] for p in by_path.get(path, [])), path
    for path, words in EXPECTED_WARNINGS.items():
        assert any(p["level"] == "warning" and words in p["message"] for p in by_path[path]), path
    dangling = [p["message"] for p in by_path["dangling.md"]]
    assert any("missing.md" in m for m in dangling) and any("no-such-section" in m for m in dangling)
    assert {"good.md", "bom-crlf.md", "dup-a.md", "notes.txt"}.isdisjoint(by_path)


def test_check_text_lines_name_path_and_line(messy_kb):
    out = kb("check", "--articles", str(messy_kb))
    assert "bad-yaml.md:3" in out.stdout and "unknown-key.md:3: warning:" in out.stdout


def test_index_keeps_the_valid_and_names_the_rest(messy_kb, tmp_path):
    report = sync_index(messy_kb, tmp_path / "index")
    assert {p.path for p in report.problems if p.level == "error"} == set(EXPECTED_ERRORS)
    index = SearchIndex(tmp_path / "index")
    try:
        ids = {a["id"] for a in index.list_articles(limit=100)[1]}
        assert ids == {"good", "bom-crlf", "same", "unknown-key", "dangling", "stub", "no-title",
                       "gbk", "utf16"}
        assert index.search("Windows saved CRLF").articles[0].id == "bom-crlf"
        # Saved as GBK: found by its words, and its page is rendered from the text as read.
        assert index.search("余额不足").articles[0].id == "gbk"
        assert index.get_article("gbk")["source"].endswith("---\n余额不足时，请先充值，再重新付款。\n")
        assert index.search("只有标题的问题").articles[0].id == "stub"
        found = {a.id for a in index.search("root daemon nologin bin bash").articles}
        assert "passwd" not in found  # /etc/passwd never read
        assert index.get_article("same")["title"] == "A"  # the first of two duplicates wins
    finally:
        index.close()


def test_kb_new_writes_complete_front_matter(kb_dir):
    out = kb("new", "银行卡解绑失败怎么办", "--category", "退款与争议", "--articles", str(kb_dir))
    assert out.returncode == 0, out.stderr
    assert "remove the `draft: true` line to publish" in out.stderr
    path = Path(out.stdout.strip())
    assert path == kb_dir / "payments" / "yin-hang-ka-jie-bang-shi-bai-zen-me-ban.md"
    text = path.read_text("utf-8")
    for key in ("title: 银行卡解绑失败怎么办", "id: payments/yin-hang-ka-jie-bang-shi-bai-zen-me-ban",
                "lang: zh", "category: 退款与争议", "tags: []", "questions: []", "visibility: public",
                "updated: ", "draft: true"):
        assert key in text
    again = kb("new", "银行卡解绑失败怎么办", "--category", "退款与争议", "--articles", str(kb_dir))
    assert again.stdout.strip().endswith("-2.md") and path.read_text("utf-8") == text  # never overwritten
    internal = kb("new", "Escalating a chargeback", "--internal", "--articles", str(kb_dir))
    text = Path(internal.stdout.strip()).read_text("utf-8")
    assert "visibility: internal" in text and "lang: en" in text
    check = kb("check", "--articles", str(kb_dir))
    assert check.returncode == 0, check.stdout  # new files are valid (an empty body is a warning)
    assert kb("new", "  ", "--articles", str(kb_dir)).returncode == 2


UNBUILDABLE = {  # well-formed YAML whose value cannot be built (ValueError, not YAMLError)
    "impossible-date.md": "updated: 2026-02-30",
    "bad-int-tag.md": "updated: !!int abc",
    "huge-int.md": "updated: " + "9" * 5000,
    "bad-time.md": "updated: 2026-01-01 25:61:00",
}


def test_values_yaml_cannot_build_are_that_files_error_with_its_line(tmp_path):
    root = tmp_path / "articles"
    root.mkdir()
    for name, line in UNBUILDABLE.items():
        (root / name).write_text(f"---\ntitle: 日期\ntags: [a]\n{line}\n---\n正文\n", "utf-8")
    (root / "good.md").write_text(VALID.format(title="正常文章", body="正常的正文。"), "utf-8")
    out = kb("check", "--articles", str(root))
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    for name in UNBUILDABLE:
        assert f"{name}:4: error: invalid value in front matter" in out.stdout, out.stdout
    indexed = kb("index", "--articles", str(root), "--index", str(tmp_path / "index"))
    assert indexed.returncode == 1 and "Traceback" not in indexed.stderr, indexed.stderr
    assert "1 article" in indexed.stdout


def test_a_broken_date_does_not_stop_other_edits_from_applying(tmp_path):
    root = tmp_path / "articles"
    root.mkdir()
    (root / "playbook.md").write_text("---\ntitle: 升级处理手册\n---\n先安抚客户，再升级。\n", "utf-8")
    sync_index(root, tmp_path / "index")
    (root / "broken.md").write_text("---\ntitle: 坏日期\nupdated: 2026-02-30\n---\n正文\n", "utf-8")
    internal = "---\ntitle: 升级处理手册\nvisibility: internal\n---\n先安抚客户，再升级。\n"
    (root / "playbook.md").write_text(internal, "utf-8")
    report = sync_index(root, tmp_path / "index")
    assert [p.path for p in report.problems if p.level == "error"] == ["broken.md"]
    index = SearchIndex(tmp_path / "index")
    try:
        assert index.search("升级处理手册").articles == []  # now internal: gone for the public
        assert index.search("升级处理手册", internal=True).articles[0].id == "playbook"
    finally:
        index.close()
