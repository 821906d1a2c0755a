"""The SVG charts: bar lengths, labels, accessibility (pure functions)."""

import re
from decimal import Decimal
from xml.etree import ElementTree

from coopctg.dashboards import charts
from coopctg.dashboards.charts import Bar, Segment, bar_length, horizontal_bars, stacked_bar

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def bars_of(root):
    return [
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if "db-track" not in r.get("class", "")
    ]


def test_bar_length_is_proportional_and_clamped():
    assert bar_length(Decimal(50), Decimal(100), Decimal(200)) == Decimal(100)
    assert bar_length(Decimal(150), Decimal(100), Decimal(200)) == Decimal(200)
    assert bar_length(Decimal(-5), Decimal(100), Decimal(200)) == 0
    assert bar_length(Decimal(5), Decimal(0), Decimal(200)) == 0


def test_horizontal_bars_lengths_labels_and_values():
    svg = horizontal_bars(
        "t",
        "Avancement par thématique",
        [
            Bar("Petite enfance", Decimal("40"), "40 %", note="2 actions"),
            Bar("Jeunesse", Decimal("100"), "100 %", css_class="db-bar db-bar-alert"),
            Bar("Parentalité", Decimal("0"), "0 %"),
        ],
        maximum=Decimal(100),
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "t-titre t-desc"
    assert root.find("svg:title", NS).text == "Avancement par thématique"
    assert "Petite enfance : 40 % (2 actions)" in root.find("svg:desc", NS).text
    plot = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    widths = [Decimal(r.get("width")) for r in bars_of(root)]
    assert widths == [Decimal(plot) * Decimal("0.4"), Decimal(plot), Decimal(0)]
    texts = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for expected in ("Petite enfance", "40 %", "2 actions", "Jeunesse", "100 %", "Parentalité"):
        assert expected in texts
    assert 'class="db-bar db-bar-alert"' in svg
    assert "style=" not in svg and "<script" not in svg


def test_maximum_defaults_to_the_largest_value():
    root = parse(
        horizontal_bars(
            "e",
            "Euros",
            [Bar("A", Decimal(24000), "24 000 €"), Bar("B", Decimal(12000), "12 000 €")],
        )
    )
    a, b = (Decimal(r.get("width")) for r in bars_of(root))
    assert a == 2 * b > 0


def test_labels_are_escaped_and_long_labels_wrapped():
    svg = horizontal_bars(
        "x",
        "<Titre> & co",
        [Bar("Animation de la vie sociale, logement et accès aux droits", Decimal(1), "1 €")],
    )
    assert "&lt;Titre&gt; &amp; co" in svg
    root = parse(svg)
    label = next(
        t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "db-label"
    )
    assert len(list(label)) == 2  # two tspans


def test_empty_chart_says_so():
    assert "Aucune donnée." in horizontal_bars("v", "Vide", [])


def test_stacked_bar_segments_and_legend():
    svg = stacked_bar(
        "s",
        "États",
        [
            Segment("à jour", 3, "db-cat-a_jour"),
            Segment("bilan en retard", 1, "db-cat-bilan_retard"),
        ],
    )
    root = parse(svg)
    first = next(
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if r.get("class") == "db-cat-a_jour"
    )
    assert Decimal(first.get("width")) == Decimal(charts.WIDTH) * 3 / 4
    assert "à jour : 3" in svg and "bilan en retard : 1" in svg
    assert re.search(r"<desc[^>]*>à jour : 3; bilan en retard : 1</desc>", svg)


def test_the_phone_variant_keeps_labels_and_values_on_their_own_line():
    bars = [
        charts.Bar("Petite enfance", Decimal("60"), "60 %", note="1 en retard"),
        charts.Bar("Animation de la vie sociale, logement et accès aux droits", Decimal(0), "0 %"),
    ]
    svg = charts.stacked_bars("p", "Avancement", bars, maximum=Decimal(100))
    assert 'viewBox="0 0 340 ' in svg and 'aria-labelledby="p-titre p-desc"' in svg
    assert ">Petite enfance</text>" in svg and ">60 % — 1 en retard</text>" in svg
    assert 'width="204"' in svg  # 60 % of the 340-unit bar
    assert "…</text>" in svg  # a label too long for the line is cut; the table has it whole
    both = charts.responsive_bars("p", "Avancement", bars, maximum=Decimal(100))
    assert both.startswith('<div class="db-wide"><svg') and '<div class="db-narrow"><svg' in both
    assert 'aria-labelledby="p-titre p-desc"' in both
    assert 'aria-labelledby="p-etroit-titre p-etroit-desc"' in both  # ids stay unique


def test_the_phone_status_bar_has_one_legend_column():
    segments = [charts.Segment("à jour", 3, "a"), charts.Segment("bilan en retard", 1, "b")]
    narrow = charts.stacked_bar("e", "États", segments, width=charts.NARROW_WIDTH)
    assert '<text class="db-label" x="16" y="45">à jour : 3</text>' in narrow
    assert '<text class="db-label" x="16" y="65">bilan en retard : 1</text>' in narrow
