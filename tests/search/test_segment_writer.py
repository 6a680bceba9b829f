"""search.segment_writer: the same segments as Whoosh's own writer writes (`test_indexer` compares
whole indexes built both ways)."""

from whoosh.index import FileIndex, create_in

from search.schema import build_schema
from search.segment_writer import segment_writer


def test_the_segment_writer_writes_boosts_stored_values_and_missing_fields_as_whoosh_does(tmp_path):
    """Documents with `_boost`, `_<field>_boost` and `_stored_<field>` keys and fields left None take
    the segment writer's slower path (kb's own documents have none): the same postings, weights,
    lengths and stored fields as Whoosh's own writer."""
    docs = [{"uid": "a:1", "kind": "article", "title": "退款 到账 refund", "body": "退款 退款 到账",
             "data": {"x": 1}, "_boost": 2.0},
            {"uid": "a:2", "kind": "article", "title": "refund time", "_title_boost": 3.0, "body": None,
             "data": {"y": [1, 2]}, "_stored_uid": "stored-2", "spell": "Refund TIME"},
            {"uid": "u:3", "kind": "unit", "u_text": "到账 时间 到账", "u_heading": "时间", "data": None}]
    contents = []
    for name, make in (("fast", segment_writer), ("whoosh", FileIndex.writer)):
        folder = tmp_path / name
        folder.mkdir()
        ix = create_in(str(folder), build_schema())
        writer = make(ix)
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        with ix.searcher() as searcher:
            reader = searcher.reader()
            content = {"stored": list(reader.all_stored_fields())}
            for field in ix.schema.names():
                if ix.schema[field].indexed:
                    for term in reader.lexicon(field):
                        postings = reader.postings(field, term)
                        found = []
                        while postings.is_active():
                            found.append((postings.id(), postings.weight(), postings.value()))
                            postings.next()
                        content[field, term] = found
            for field in ix.schema.scorable_names():
                content["lengths", field] = [reader.doc_field_length(n, field) for n in range(len(docs))]
        contents.append(content)
    assert contents[0] == contents[1]
    assert contents[0]["title", b"refund"][1][1] == 3.0 and contents[0]["stored"][1]["uid"] == "stored-2"
