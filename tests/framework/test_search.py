"""The search helpers: accent- and case-insensitive matching, escaped highlighting."""

import pytest

from coopctg.framework.search import fold, highlight, match_spans, search, search_terms


def test_fold_removes_accents_and_case_and_keeps_positions():
    assert fold("Élus") == ("elus", [0, 1, 2, 3])
    assert fold("œuvre")[0] == "oeuvre"
    assert fold("œuvre")[1][:3] == [0, 0, 1]
    assert fold("l’accès")[0] == "l'acces"
    assert fold("ÇA")[0] == "ca"


def test_search_terms():
    assert search_terms("  Élus   comités élus ") == ["elus", "comites"]
    assert search_terms("   ") == []
    assert len(search_terms(" ".join(f"mot{i}" for i in range(30)))) == 10


def test_match_spans_are_in_the_original_text():
    text = "Accompagner les élus ; les ÉLUS décident."
    spans, found = match_spans(text, ["elus"])
    assert [text[a:b] for a, b in spans] == ["élus", "ÉLUS"]
    assert found == {"elus"}
    spans, _ = match_spans("mise en œuvre", ["oeuvre"])
    assert spans == [(8, 13)]


def test_overlapping_matches_are_merged():
    spans, found = match_spans("coopération", ["coop", "opera"])
    assert spans == [(0, 7)] and found == {"coop", "opera"}  # « coopéra »


def test_highlight_escapes_everything():
    text = "<b>élus</b> & « co »"
    spans, _ = match_spans(text, ["elus", "&"])
    assert highlight(text, spans) == (
        "&lt;b&gt;<mark>élus</mark>&lt;/b&gt; <mark>&amp;</mark> « co »"
    )
    assert highlight("<script>", []) == "&lt;script&gt;"


@pytest.mark.django_db
def test_search_in_a_version(framework):
    from coopctg.framework.loader import framework_contents

    contents = framework_contents(framework)
    hits = search(contents, "elus")
    assert [h.code for h in hits] == ["AG2", "M1.O1", "M1.O1.A2", "M1.O2.A2", "M4.O3.A3"]
    assert [h.kind for h in hits] == [
        "Attendu général",
        "Objectif",
        "Attendu",
        "Attendu",
        "Attendu",
    ]
    assert hits[2].context == "M1 › M1.O1"
    assert hits[2].texts == [
        "Le.La chargé.e de coopération doit accompagner et acculturer les <mark>élus</mark>, "
        "assurer un niveau de connaissance, un conseil, une expertise aux <mark>élus</mark>."
    ]
    # Every word must appear, in any of the element's texts (here: the precision).
    assert [h.code for h in search(contents, "mixité CORRIGER")] == ["M2.O3.A1"]
    assert [h.code for h in search(contents, "Pérenniser supports")] == ["M4.O2"]
    assert search(contents, "élus introuvable") == []
    assert search(contents, "   ") == []
