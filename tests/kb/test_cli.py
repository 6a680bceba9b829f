"""The `kb` command, run as a real subprocess."""

import json
import re
import subprocess
import sys

from tests.conftest import AGENT_TOKEN

KB = [sys.executable, "-m", "kb.cli"]


def kb(*args, env=None):
    return subprocess.run([*KB, *args], capture_output=True, text=True, timeout=120, env=env)


def test_index_exit_codes_and_problem_lines(kb_dir, index_dir):
    ok = kb("index", "--articles", str(kb_dir), "--index", str(index_dir))
    assert ok.returncode == 0, ok.stderr
    assert "9 articles" in ok.stdout
    (kb_dir / "bad.md").write_text("---\ntitle: x\nlang: fr\n---\n", "utf-8")
    bad = kb("index", "--articles", str(kb_dir), "--index", str(index_dir))
    assert bad.returncode == 1
    assert "bad.md:3: error: `lang`: must be one of zh, en, not 'fr'" in bad.stderr
    assert "9 articles" in bad.stdout


def test_search_json_is_what_the_api_returns(kb_dir, built_index, client):
    out = kb("search", "退款多久到账", "--json", "--articles", str(kb_dir), "--index", str(built_index))
    assert out.returncode == 0, out.stderr
    cli_body = json.loads(out.stdout)
    api_body = client.get("/api/search", query_string={"q": "退款多久到账"}).get_json()
    for body in (cli_body, api_body):
        body.pop("took_ms")
    assert cli_body == api_body


def test_search_text_output_and_agent_flag(kb_dir, built_index):
    public = kb("search", "升级二线", "--articles", str(kb_dir), "--index", str(built_index))
    assert "0 articles" in public.stdout
    agent = kb("search", "升级二线", "--agent", "--articles", str(kb_dir), "--index", str(built_index))
    assert "[internal]" in agent.stdout


def test_check_reports_problems(kb_dir):
    (kb_dir / "typo.md").write_text("---\ntitel: x\n---\n# T\n", "utf-8")
    out = kb("check", "--articles", str(kb_dir))
    assert out.returncode == 0  # warnings only
    assert "typo.md:2: warning: unknown front-matter key `titel`; did you mean `title`?" in out.stdout
    strict = kb("check", "--strict", "--articles", str(kb_dir))
    assert strict.returncode == 1


def test_missing_articles_folder_is_a_usage_error(tmp_path):
    out = kb("index", "--articles", str(tmp_path / "nope"), "--index", str(tmp_path / "ix"))
    assert out.returncode == 2 and "articles folder" in out.stderr


def test_agent_token_from_environment_is_not_printed(kb_dir, built_index):
    import os

    env = {**os.environ, "KB_AGENT_TOKENS": AGENT_TOKEN}
    out = kb("search", "退款", "--articles", str(kb_dir), "--index", str(built_index), env=env)
    assert AGENT_TOKEN not in out.stdout + out.stderr


def test_token_prints_a_new_strong_token(kb_dir):
    import os

    from kb.config import Settings

    first, second = kb("token").stdout.strip(), kb("token").stdout.strip()
    assert first != second and len(first) >= 32
    Settings.load(str(kb_dir), environ={**os.environ, "KB_AGENT_TOKENS": f"{first},{second}"})  # accepted


def test_weak_token_is_a_clear_start_up_error(kb_dir, built_index):
    import os

    env = {**os.environ, "KB_AGENT_TOKENS": "password123"}
    out = kb("search", "退款", "--articles", str(kb_dir), "--index", str(built_index), env=env)
    assert out.returncode == 2 and "KB_AGENT_TOKENS" in out.stderr and "kb token" in out.stderr
    assert "Traceback" not in out.stderr and "password123" not in out.stderr
def on_a_terminal(*args) -> tuple[int, str, str]:
    """Run `kb` with stderr on a pseudo-terminal: (exit status, stdout, what the terminal showed)."""
    import os
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([*KB, *args], stdout=subprocess.PIPE, stderr=follower,
                               env={**os.environ, "COLUMNS": "100"})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(leader)
    return process.returncode, stdout.decode(), shown.decode(errors="replace")


def test_index_shows_progress_on_a_terminal_only(kb_dir, index_dir):
    status, stdout, shown = on_a_terminal("index", "--articles", str(kb_dir), "--index", str(index_dir))
    assert status == 0
    assert re.search(r"indexing.*\b9/9\b", shown) and "reading files" in shown
    assert re.fullmatch(r"full: 9 articles \(9 added, .*\) in \d+\.\d\ds\n", stdout)  # one line
    piped = kb("index", "--rebuild", "--articles", str(kb_dir), "--index", str(index_dir))
    assert piped.stderr == "" and re.fullmatch(r"full: 9 articles \(.*\) in \d+\.\d\ds\n", piped.stdout)
