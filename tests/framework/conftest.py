import copy

import pytest
import yaml

from coopctg.framework.loader import DEFAULT_FRAMEWORK_FILE, load_framework


@pytest.fixture(scope="session")
def bundled_data():
    """The bundled file as plain data (``date_publication`` as text), to derive variants from."""
    data = yaml.safe_load(DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8"))
    data["date_publication"] = data["date_publication"].isoformat()
    return data


@pytest.fixture
def variant(bundled_data):
    """A deep copy of the bundled file's data, to modify in a test."""
    return copy.deepcopy(bundled_data)


@pytest.fixture
def write_yaml(tmp_path):
    """``write_yaml(data, name="variante.yaml")`` → path of a YAML file holding ``data``."""

    def write(data, name="variante.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def framework(db):
    """The bundled version, loaded."""
    return load_framework()
