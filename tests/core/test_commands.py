"""The CLI's error line: one French line on stderr, exit status 2, whatever the input holds."""

import json

import pytest
from django.core.management import call_command

from coopctg.core.commands import one_line


@pytest.mark.parametrize(
    "text", ["clé « a\nb » inconnue", "a\r\nb", "a\u2028b", "a\x85b", "a\x1cb", "a\x0bb\x0cc"]
)
def test_every_line_break_becomes_a_space(text):
    assert len(one_line(text).splitlines()) == 1 and " " in one_line(text)


@pytest.mark.django_db
def test_a_json_key_holding_a_line_break_gives_one_error_line(tmp_path, capsys):
    path = tmp_path / "entree.json"
    path.write_text(json.dumps({"clé\ninconnue": 1, "x\u2028y": 2}))
    with pytest.raises(SystemExit) as exit_info:
        call_command("financement", "simuler", str(path))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("Erreur : ") and len(err.splitlines()) == 1, err
