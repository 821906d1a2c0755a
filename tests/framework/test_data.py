"""The bundled file is a complete and faithful transcription of the référentiel (janvier 2022)."""

import re
from pathlib import Path

import pytest

from coopctg.framework.loader import DEFAULT_FRAMEWORK_FILE, parse_framework

#: The source document, outside the repository: the tests that need it skip when it is absent.
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "000_e8d417bf579fd5a2.txt"


@pytest.fixture(scope="module")
def data():
    return parse_framework(DEFAULT_FRAMEWORK_FILE)


@pytest.fixture(scope="module")
def seed():
    if not SEED.is_file():
        pytest.skip(f"document source absent ({SEED})")
    # The seed is Markdown: bold markers split sentences (« ♦ **une fonction de pilotage** en
    # charge… »); they are layout, not text.
    return SEED.read_text(encoding="utf-8").replace("**", "")


def test_version(data):
    assert data.version == "touraine-2022-01"
    assert data.source == "Caf de Touraine, Référentiel chargé(e) de coopération Ctg, janvier 2022"
    assert data.date_publication.isoformat() == "2022-01-01"


def test_counts(data):
    assert [f.code for f in data.fonctions] == ["F1", "F2", "F3", "F4"]
    assert [s.code for s in data.spheres] == ["S1", "S2", "S3", "S4"]
    assert [g.code for g in data.attendus_generaux] == [f"AG{i}" for i in range(1, 7)]
    assert [m.code for m in data.missions] == ["M1", "M2", "M3", "M4"]
    assert [len(m.objectifs) for m in data.missions] == [6, 3, 3, 3]
    assert [[len(o.attendus) for o in m.objectifs] for m in data.missions] == [
        [3, 3, 3, 3, 3, 4],
        [4, 3, 1],
        [3, 4, 3],
        [3, 3, 3],
    ]
    assert len(list(data.objectives())) == 15
    assert len(list(data.expected_outputs())) == 46


def test_codes_follow_the_order_of_the_document(data):
    for m_number, mission in enumerate(data.missions, start=1):
        assert mission.code == f"M{m_number}"
        for o_number, objective in enumerate(mission.objectifs, start=1):
            assert objective.code == f"M{m_number}.O{o_number}"
            for a_number, output in enumerate(objective.attendus, start=1):
                assert output.code == f"M{m_number}.O{o_number}.A{a_number}"


def test_exact_texts(data):
    outputs = {a.code: a for a in data.expected_outputs()}
    assert outputs["M1.O1.A1"].texte == (
        "Le.La chargé.e de coopération doit organiser en lien avec le collègue de la Caf les "
        "comités de pilotage (1 fois par an minimum) et les comités techniques (1 fois par "
        "semestre minimum)."
    )
    assert outputs["M2.O3.A1"].texte == (
        "Le.La chargé.e de coopération doit garantir la mixité et l'accessibilité des services "
        "à tous."
    )
    assert outputs["M2.O3.A1"].precision == (
        "Ce qui est entendu par garantir : Alerter, contrôler, assurer la transversalité dans le "
        "cadre de la Ctg, corriger ou faire corriger."
    )
    assert [a.code for a in outputs.values() if a.precision] == ["M2.O3.A1"]
    missions = {m.code: m for m in data.missions}
    assert missions["M1"].titre == (
        "Impulser et mettre en œuvre les politiques « petite-enfance, enfance-jeunesse et "
        "éducation, parentalité, logement et accès aux droits »"
    )
    assert missions["M2"].titre == "Mettre en adéquation l'offre d'accueil aux besoins des familles"
    assert missions["M3"].titre == "Animer la mise en réseau des acteurs"
    assert missions["M4"].titre == "Organiser et animer la relation avec la population"
    m4 = missions["M4"].objectifs
    assert (m4[0].titre, m4[0].sous_titre) == (
        "Favoriser l'expression et la mobilisation des habitants",
        "Développer et animer des dispositifs de concertation et de participation avec le public",
    )
    assert (m4[1].titre, m4[1].sous_titre) == (
        "Concevoir et développer des supports d'information",
        "Pérenniser et valoriser la participation des habitants à la mise en œuvre des "
        "politiques de développement",
    )
    assert (m4[2].titre, m4[2].sous_titre) == (
        "Réguler les relations entre institutions, acteurs et population",
        "",
    )
    assert [o.code for o in data.objectives() if o.sous_titre] == ["M4.O1", "M4.O2"]
    assert [s.titre for s in data.spheres] == [
        "LE PILOTAGE",
        "L'ANIMATION",
        "LA RELATION",
        "LA RECHERCHE",
    ]


def test_every_text_appears_verbatim_in_the_document_in_the_same_order(data, seed):
    texts = [
        *(f.description for f in data.fonctions),
        *(text for s in data.spheres for text in (s.titre, s.description)),
        *(g.texte for g in data.attendus_generaux),
    ]
    for mission in data.missions:
        texts.append(mission.titre)
        for objective in mission.objectifs:
            texts += [objective.titre, objective.sous_titre]
            for output in objective.attendus:
                texts += [output.texte, output.precision]
    position = 0
    for text in filter(None, texts):
        assert text in seed, f"absent du document : {text!r}"
        position = seed.index(text, position) + len(text)


def test_every_attendu_of_the_document_is_transcribed(data, seed):
    in_seed = re.findall(r"^- (Le\.La chargé\.e de coopération doit .+?)\s*$", seed, re.MULTILINE)
    assert len(in_seed) == 46
    assert in_seed == [a.texte for a in data.expected_outputs()]


def test_the_general_expectations_and_functions_of_the_document(data, seed):
    general = seed[seed.index("les attendus du chargé de coopération sont dans l'ensemble") :]
    listed = re.findall(r"^- ◆ (.+?) ?[;.]$", general, re.MULTILINE)[:6]
    assert listed == [g.texte for g in data.attendus_generaux]
    functions = re.findall(r"^- ♦ (une fonction .+?) ?[;.]$", seed, re.MULTILINE)
    assert functions == [f.description for f in data.fonctions]


def test_the_file_says_where_it_comes_from():
    header = DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8").split("\nversion:")[0]
    assert "Caf de Touraine" in header and "janvier 2022" in header
    assert "Transcription" in header
