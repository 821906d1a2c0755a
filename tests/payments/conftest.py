"""A Touraine world with signed Cofs: ``cof_own`` (2022-2026, avenant n°1 from 2023-07-01:
Mme Y from 0,5 to 0,7 Etp), ``cof_other`` (2022-2026, no avenant) and ``cof_foreign`` (Caf 41,
which has no funding nor payment parameters: a draft)."""

import datetime as dt
import shutil

import pytest

from coopctg.agreements.services import sign_version
from coopctg.reports import services
from tests.agreements.helpers import ALL_THEMES, MOVED, make_cof, version_input


@pytest.fixture
def world(touraine):
    w = touraine
    for ctg in (w.ctg_own, w.ctg_other, w.ctg_foreign):
        ctg.themes = ALL_THEMES
        ctg.save()
    w.cof_own = make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-901")
    sign_version(
        w.admin,
        w.cof_own,
        version_input(MOVED, dt.date(2023, 7, 1), motif="Mme Y passe à 0,7 Etp"),
        date_signature=dt.date(2023, 6, 15),
        generate_document=False,
    )
    w.cof_other = make_cof(w.admin, w.ctg_other, w.other, "COF-37-2022-902")
    # Caf 41 has no funding parameters: its Cof cannot be signed, it stays a draft.
    w.cof_foreign = make_cof(w.outsider, w.ctg_foreign, w.foreign, "COF-41-2022-001", sign=False)
    return w


@pytest.fixture
def parameters_dir(tmp_path, monkeypatch):
    """A copy of the report parameters, to be changed by the test (the cache is cleared)."""
    root = tmp_path / "parametres"
    shutil.copytree(services.PARAMETERS_ROOT, root)
    monkeypatch.setattr(services, "PARAMETERS_ROOT", root)
    services._parameters.cache_clear()
    yield root
    services._parameters.cache_clear()
