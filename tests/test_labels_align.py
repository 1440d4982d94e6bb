import pytest

from tolltrace.align import constrained_tags, drop_bare_adverbs, spans_to_tags, tags_to_spans
from tolltrace.errors import InputError
from tolltrace.labels import SPAN_LABELS, bio_tags, sentence_labels
from tolltrace.types import Span
from tolltrace.validation import check_spans


def test_contract_labels_and_derived_sentence_labels():
    assert SPAN_LABELS == ("KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE")
    assert bio_tags()[:3] == ["O", "B-KILLED", "I-KILLED"] and len(bio_tags()) == 11
    assert sentence_labels(["INJURED", "HEDGE"]) == {"casualty": True, "attribution": False,
                                                     "denial": False, "hedge": True}


TEXT = "At least 30 people died, witnesses said."


@pytest.mark.parametrize("spans, code", [
    ([Span(0, 8, "DEAD")], "E020"),
    ([Span(30, 99, "SOURCE")], "E021"),
    ([Span(0, 11, "HEDGE"), Span(9, 18, "KILLED")], "E022"),
    ([Span(9, 14, "KILLED")], "E023"),        # "30 pe" cuts "people"
    ([Span(8, 18, "KILLED")], "E024"),        # leading space
])
def test_check_spans_rejects_bad_spans_with_a_code(spans, code):
    with pytest.raises(InputError, match=code) as info:
        check_spans(TEXT, spans, where="file.jsonl, record 3")
    assert "file.jsonl, record 3" in str(info.value)


def test_check_spans_accepts_and_sorts_valid_spans():
    spans = [Span(25, 34, "SOURCE"), Span(0, 8, "HEDGE"), Span(9, 18, "KILLED")]
    assert [s.label for s in check_spans(TEXT, spans, "x")] == ["HEDGE", "KILLED", "SOURCE"]


AWKWARD = [
    ("The toll rose to 1,200 Israeli deaths, officials said.", [(17, 37, "KILLED"), (39, 48, "SOURCE")]),
    ("“Two-thirds of the 35 wounded were children,” Dr. Al-Hamid’s team said.",
     [(19, 21, "INJURED"), (46, 65, "SOURCE")]),
    ("Russia’s Defense Ministry said reports were “not true”.", [(0, 25, "SOURCE"), (45, 53, "DENIAL")]),
    ("Dozens of its soldiers — reportedly 40 — died in Deir ez-Zor.", [(0, 22, "KILLED"), (25, 35, "HEDGE"),
                                                                     (36, 38, "KILLED")]),
    ("Some 2,3OO people were hurt near Khan Younis’ hospital.", [(0, 4, "HEDGE"), (5, 17, "INJURED")]),
]


@pytest.mark.parametrize("text, raw", AWKWARD)
def test_char_spans_round_trip_through_bio_tags(tokenizer, text, raw):
    spans = [Span(s, e, lab) for s, e, lab in raw]
    check_spans(text, spans, "awkward")
    enc = tokenizer(text, return_offsets_mapping=True)
    offsets = [tuple(o) for o in enc["offset_mapping"]]
    tags = spans_to_tags(offsets, spans)
    assert tags[0] is None and tags[-1] is None            # [CLS], [SEP]
    assert sum(1 for t in tags if t and t.startswith("B-")) == len(spans)
    decoded = tags_to_spans(offsets, enc.word_ids(), [t or "O" for t in tags])
    assert [(s.start, s.end, s.label) for s in decoded] == sorted(raw)


def test_decoding_never_splits_a_word_or_overlaps(tokenizer):
    text = "Approximately 1,200 casualties reported."
    enc = tokenizer(text, return_offsets_mapping=True)
    offsets = [tuple(o) for o in enc["offset_mapping"]]
    # a noisy prediction: I- without B-, and a tag on a non-first sub-token only
    tags = ["O"] * len(offsets)
    for i, (s, e) in enumerate(offsets):
        if text[s:e] == "1":
            tags[i] = "I-KILLED"
        if text[s:e] == "200":
            tags[i] = "I-KILLED"
    spans = tags_to_spans(offsets, enc.word_ids(), tags)
    assert [(text[s.start:s.end], s.label) for s in spans] == [("1", "KILLED"), ("200", "KILLED")] or \
        [(text[s.start:s.end], s.label) for s in spans] == [("1,200", "KILLED")]
    check_spans(text, spans, "decoded")


TAGS = ["O", "B-DENIAL", "I-DENIAL", "B-SOURCE", "I-SOURCE"]


def test_constrained_decoding_never_starts_a_span_with_I():
    # argmax per word: O, I-DENIAL, I-DENIAL -> lenient decoding would open a span on "I-"
    probs = [[0.6, 0.3, 0.1, 0.0, 0.0],
             [0.1, 0.3, 0.6, 0.0, 0.0],
             [0.2, 0.1, 0.7, 0.0, 0.0]]
    tags = constrained_tags(probs, TAGS)
    assert tags == ["O", "B-DENIAL", "I-DENIAL"]
    # I-SOURCE may not continue a DENIAL span either
    probs = [[0.1, 0.8, 0.1, 0.0, 0.0],
             [0.1, 0.0, 0.35, 0.0, 0.55]]
    assert constrained_tags(probs, TAGS) == ["B-DENIAL", "I-DENIAL"]


def test_constrained_decoding_keeps_a_well_formed_argmax():
    probs = [[0.1, 0.8, 0.1, 0.0, 0.0],
             [0.1, 0.1, 0.7, 0.1, 0.0],
             [0.9, 0.0, 0.1, 0.0, 0.0],
             [0.1, 0.0, 0.0, 0.9, 0.0]]
    assert constrained_tags(probs, TAGS) == ["B-DENIAL", "I-DENIAL", "O", "B-SOURCE"]
    assert constrained_tags([], TAGS) == []


def test_bare_adverbs_are_not_denials_but_hedges_stay():
    text = "DHS flatly said the claim was unfounded, reportedly."
    spans = [Span(4, 10, "DENIAL"), Span(30, 39, "DENIAL"), Span(41, 51, "HEDGE")]
    kept = drop_bare_adverbs(text, spans)
    assert [(text[s.start:s.end], s.label) for s in kept] == [("unfounded", "DENIAL"), ("reportedly", "HEDGE")]
    text = "They flatly denied it and falsely claimed otherwise."
    spans = [Span(5, 18, "DENIAL"), Span(26, 33, "DENIAL")]
    assert drop_bare_adverbs(text, spans) == spans
