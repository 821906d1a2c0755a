"""French messages for the API's validation errors (pydantic's are English), and for a request
body that cannot be read as JSON (ninja's is « Cannot parse request body »)."""

import json
from typing import Any

from coopctg.core.parsing import DocumentError

MESSAGES = {
    "missing": "champ obligatoire",
    "int_parsing": "un nombre entier est attendu",
    "int_type": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "float_parsing": "un nombre est attendu",
    "decimal_parsing": "un nombre est attendu",
    "string_type": "un texte est attendu",
    "bool_parsing": "vrai ou faux (true / false) est attendu",
    "bool_type": "vrai ou faux (true / false) est attendu",
    "date_parsing": "une date « AAAA-MM-JJ » est attendue",
    "date_from_datetime_parsing": "une date « AAAA-MM-JJ » est attendue",
    "date_type": "une date « AAAA-MM-JJ » est attendue",
    "time_parsing": "une heure « HH:MM » est attendue",
    "time_type": "une heure « HH:MM » est attendue",
    "list_type": "une liste est attendue",
    "dict_type": "un objet est attendu",
    "model_type": "un objet est attendu",
    "model_attributes_type": "un objet est attendu",
    "json_invalid": "le corps de la requête n'est pas du JSON valide",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "extra_forbidden": "champ inconnu",
}
#: Where pydantic says the value was (``body``, ``query``…), and ninja's argument names.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_ARGUMENTS = {"data", "filtres", "page", "payload"}


def _field(loc: Any) -> str:
    parts = [str(part) for part in (loc or ())]
    while parts and (parts[0] in _SOURCES or parts[0] in _ARGUMENTS):
        parts.pop(0)
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text or "requête"


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    message = MESSAGES.get(kind)
    if message is None and kind.endswith("_type"):
        message = "type de valeur inattendu"
    if kind in {"greater_than_equal", "less_than_equal"}:
        limit = (error.get("ctx") or {}).get("ge" if kind == "greater_than_equal" else "le")
        if limit is not None:
            word = "au moins" if kind == "greater_than_equal" else "au plus"
            message = f"{word} {limit}"
    return message or "valeur invalide"


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"champ": _field(error.get("loc")), "message": _message(error)} for error in errors]


def validation_message(errors: list[dict[str, Any]]) -> str:
    items = field_errors(errors)
    if not items:
        return "Requête invalide."
    first = items[0]
    more = f" (et {len(items) - 1} autre{'s' if len(items) > 2 else ''} erreur" + (
        "s)" if len(items) > 2 else ")"
    )
    return f"Requête invalide — {first['champ']} : {first['message']}" + (
        more if len(items) > 1 else "."
    )


class BodyError(Exception):
    """The request body is not JSON the API reads; the message is French (a 400)."""


def body_error(error: Exception) -> BodyError:
    """The French refusal of a body that :func:`coopctg.core.parsing.load_json` refused."""
    if isinstance(error, json.JSONDecodeError):
        where = f" (ligne {error.lineno}, colonne {error.colno})"
        return BodyError(
            f"Requête invalide : le corps de la requête n'est pas du JSON valide{where}."
        )
    if isinstance(error, UnicodeDecodeError):
        return BodyError(
            "Requête invalide : le corps de la requête n'est pas du JSON valide (UTF-8 attendu)."
        )
    if isinstance(error, DocumentError):
        return BodyError(f"Requête invalide : corps de la requête refusé, {error}.")
    return BodyError("Requête invalide : le corps de la requête n'est pas du JSON valide.")
