import json
from pathlib import Path

import pytest

from tolltrace.config import SAMPLES_DIR
from tolltrace.errors import InputError
from tolltrace.reader import iter_articles, read_article_file
from tolltrace.segment import segment_article


def test_seed_boilerplate_is_removed_and_offsets_map_back():
    article = read_article_file(SAMPLES_DIR / "004_39cb7c97a17b1097.txt")
    for junk in ("Get all your news in one place.", "Start reading", "Sign up to read this article",
                 "Fourteen days free", "Download the app", "Our Picks"):
        assert junk not in article.text
    assert article.text.count("The Guardian - UK") == 1  # repeated line kept once
    for sent in segment_article(article):
        lo, hi = article.raw_range(sent.start, sent.end)
        assert article.raw[lo:hi] == sent.text


def test_repeated_headline_and_share_markers_dropped():
    a1 = read_article_file(SAMPLES_DIR / "001_ed0805f937f49b80.txt")
    assert "[ssba]" not in a1.text and "fbpx" not in a1.text
    a0 = read_article_file(SAMPLES_DIR / "000_651801547bc35da1.txt")
    assert a0.text.count("30 die as ‘Russian jets hit Idlib’") == 1
    a3 = read_article_file(SAMPLES_DIR / "003_0e069a13a0a5f6db.txt")
    assert "Kindly refrain" not in a3.text
    assert a3.text.count("At least 25 dead as Russian") == 1


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_bad_files_are_reported_by_name_and_the_batch_goes_on(tmp_path):
    _write(tmp_path, "a_empty.txt", b"")
    _write(tmp_path, "b_binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 20)
    _write(tmp_path, "c_latin1.txt", "Caf\xe9 bombed, 3 killed.".encode("latin-1"))
    _write(tmp_path, "d_huge.txt", b"Five people were killed. " * 220_000)  # ~5.5 MB
    _write(tmp_path, "e_good.txt", "At least 4 people were killed, police said.".encode())
    _write(tmp_path, "f_script.html",
           b"<html><head><script>alert('x')</script></head><body><p>Two people died, medics said.</p>"
           b"<script>steal()</script></body></html>")
    items = list(iter_articles(tmp_path))
    errors = [i for i in items if isinstance(i, InputError)]
    good = [i for i in items if not isinstance(i, InputError)]
    codes = {str(e)[:6] for e in errors}
    assert codes == {"[E030]", "[E031]", "[E032]", "[E033]"}
    for err, name in zip(errors, ["a_empty", "b_binary", "c_latin1", "d_huge"]):
        assert name in str(err)
    assert [a.id for a in good] == ["e_good", "f_script"]
    assert "alert" not in good[1].text and "steal" not in good[1].text
    assert good[1].text == "Two people died, medics said."


def test_jsonl_bad_lines_are_reported_with_line_numbers(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a", "text": "Three were killed.", "outlet": "X"}),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": "   "}),
        json.dumps({"id": "d", "text": "Ten were wounded."}),
    ]), encoding="utf-8")
    items = list(iter_articles(path))
    assert [i.id for i in items if not isinstance(i, InputError)] == ["a", "d"]
    errs = [str(i) for i in items if isinstance(i, InputError)]
    assert "in.jsonl:2" in errs[0] and errs[0].startswith("[E035]")
    assert "in.jsonl:3" in errs[1] and errs[1].startswith("[E034]")
    assert "in.jsonl:4" in errs[2] and errs[2].startswith("[E030]")
    assert items[0].outlet == "X"


def test_sidecar_metadata_is_read(tmp_path):
    (tmp_path / "x.txt").write_text("Two people were killed.", encoding="utf-8")
    (tmp_path / "x.json").write_text(json.dumps({"published": "2024-12-02", "outlet": "Reuters"}))
    article = next(iter_articles(tmp_path))
    assert article.published == "2024-12-02" and article.outlet == "Reuters"


def test_missing_input_path_is_an_error(tmp_path):
    with pytest.raises(InputError, match="E036"):
        list(iter_articles(tmp_path / "nope"))
