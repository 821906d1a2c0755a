"""Fixtures of the territories tests: a small data folder written in ``tmp_path``."""

import json
from pathlib import Path

import pytest

DEPARTEMENTS = """code,nom
37,Indre-et-Loire
41,Loir-et-Cher
2A,Corse-du-Sud
"""

EPCI = """siren,nom,nature
200073237,Communauté de communes de Gâtine-Racan,CC
243700754,Tours Métropole Val de Loire,ME
"""

COMMUNES = """code_insee,nom,population_municipale,departement,epci_siren
37123,Neuvy-le-Roi,1100,37,200073237
37233,Saint-Pierre-des-Corps,15838,37,243700754
37261,Tours,135787,37,243700754
2A004,Ajaccio,71361,2A,
41018,Blois,\\N,41,
"""


def square(x: float, y: float, size: float = 0.1) -> dict:
    """A GeoJSON Polygon: the square of side ``size`` degrees whose south-west corner is (x, y)."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature_collection(features: dict[str, dict], key: str = "siren") -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {key: value}, "geometry": geometry}
                for value, geometry in features.items()
            ],
        }
    )


EPCI_GEOJSON = feature_collection({"200073237": square(0.5, 47.5), "243700754": square(0.6, 47.5)})
COMMUNES_GEOJSON = feature_collection({"37123": square(0.5, 47.5, 0.05)}, key="code_insee")


def write_folder(folder: Path, **files: str | None) -> Path:
    """The small valid data set, with ``files`` replaced (name with ``_`` for ``.`` and ``-``:
    ``communes_csv=…``; None removes the file)."""
    contents = {
        "departements.csv": DEPARTEMENTS,
        "epci.csv": EPCI,
        "communes.csv": COMMUNES,
        "epci-37.geojson": EPCI_GEOJSON,
        "communes-37.geojson": COMMUNES_GEOJSON,
    }
    for key, value in files.items():
        name = key.replace("_csv", ".csv").replace("_geojson", ".geojson").replace("_", "-")
        contents[name] = value  # type: ignore[assignment]
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in contents.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def data_folder(tmp_path):
    return write_folder(tmp_path / "territoires")
