from tolltrace.segment import split_sentences


def _texts(text):
    return [s.text for s in split_sentences(text)]


def test_offsets_index_the_text_exactly():
    text = "  First one here.  Second one, by Gen. Smith of St. Louis.\n\nThird line without period\n"
    for s in split_sentences(text):
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip()


def test_abbreviations_do_not_end_sentences():
    text = ("The U.S. military said on Oct. 7 that Gen. Smith visited St. Catherine's hospital. "
            "He left at 5 p.m. on Monday.")
    assert _texts(text) == [
        "The U.S. military said on Oct. 7 that Gen. Smith visited St. Catherine's hospital.",
        "He left at 5 p.m. on Monday.",
    ]


def test_headline_lines_without_period_are_sentences():
    text = "30 die as ‘Russian jets hit Idlib’\nAMMAN: At least 30 people died on Tuesday, witnesses said."
    assert _texts(text) == ["30 die as ‘Russian jets hit Idlib’",
                            "AMMAN: At least 30 people died on Tuesday, witnesses said."]


def test_quotes_stay_with_their_sentence():
    text = "“We are still pulling bodies from the rubble,” said Issam Al-Idlibi. The toll rose."
    assert _texts(text) == ["“We are still pulling bodies from the rubble,” said Issam Al-Idlibi.",
                            "The toll rose."]


def test_text_without_commas_fakes_style():
    text = ("12 February 2015 Casualties mount in the city. More than 120 people have been killed as troops "
            "stepped up attacks on Douma around 10km northeast of Damascus. Regime aircraft dropped bombs.")
    assert len(_texts(text)) == 3


def test_overlong_run_on_text_is_cut_at_whitespace():
    text = " ".join(["word"] * 400)
    pieces = split_sentences(text, max_chars=600)
    assert len(pieces) > 1
    assert all(len(p.text) <= 600 for p in pieces)
    assert all(text[p.start:p.end] == p.text for p in pieces)
    assert " ".join(p.text for p in pieces) == text


def test_sentences_glued_without_a_space_are_split():
    text = 'They were scarred by what they had witnessed.You could hear screaming. He told the BBC in 1997."You could hear it."'
    assert _texts(text) == ["They were scarred by what they had witnessed.", "You could hear screaming.",
                            'He told the BBC in 1997.', '"You could hear it."']
    assert _texts("The U.S. Army said.Then it left.") == ["The U.S. Army said.", "Then it left."]
