from __future__ import annotations

from pathlib import Path

from search.word_tables import WordTable, package_file


def source_table(tmp_path: Path, reads: list[Path]) -> WordTable:
    data = tmp_path / "words.txt"
    data.write_text("passport 13481\naccidently 50\n", "utf-8")

    def read(path: Path):
        reads.append(path)
        return {"words": dict(line.split() for line in path.read_text("utf-8").splitlines())}

    return WordTable("test", lambda: data, read, format=1)


def test_a_table_is_read_once_into_the_cache_folder_and_looked_up_word_by_word(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    reads = []
    table = source_table(tmp_path, reads)
    path = table.ensure()
    assert path is not None and path.parent == tmp_path / "cache" and path.name.startswith("test-")
    assert table.lookup("words", "passport") == "13481" and table.lookup("words", "refnd") == ""
    # Another process (here: another table object over the same file) reads the file, not the source.
    again = source_table(tmp_path, reads)
    assert again.lookup("words", "accidently") == "50"
    assert reads == [tmp_path / "words.txt"]


def test_an_unwritable_cache_folder_keeps_the_table_in_memory(tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be", "utf-8")
    monkeypatch.setenv("KB_CACHE_DIR", str(blocked / "cache"))
    reads = []
    table = source_table(tmp_path, reads)
    assert table.ensure() is None
    assert table.lookup("words", "passport") == "13481"
    assert table.lookup("words", "accidently") == "50" and table.lookup("words", "refnd") == ""
    assert len(reads) == 1  # read once, not again at each word looked up


def test_without_its_data_file_a_table_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    table = WordTable("none", lambda: package_file("no_such_package_here", "data.txt"), dict, format=1)
    assert table.ensure() is None and table.lookup("words", "passport") == ""
