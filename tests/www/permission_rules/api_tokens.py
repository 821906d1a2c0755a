"""Rules of the « Jetons d'API » page (/jetons-api/): everyone manages their own tokens;
revoking is POST only, and another user's token is a 404 (tested in
``tests/api/test_tokens.py``)."""

from tests.www.permission_rules.common import EVERYONE, ROLES, seen_by

RULES = {
    "api_tokens:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "api_tokens:revoke": [
        ("get", lambda w: {"pk": w.api_token_editor.pk}, {role: 405 for role in ROLES}),
    ],
}


def extend_world(w):
    from coopctg.api.models import ApiToken

    w.api_token_editor, _ = ApiToken.create_for(w.editor, "tableur")
