"""Text typed, pasted or imported by users, cleaned of control characters (pure, no Django).

A Word soft line break (``\\x0b``), a form feed or a stray ``\\x01`` pasted from another
program means nothing to a reader, and a workbook cannot hold it (openpyxl refuses every C0
control character but tab, line feed and carriage return). Text is cleaned when it comes in
(forms, API, imports), and again by the export writer (:mod:`coopctg.core.exports`) for what
was stored before:

- multi-line text (a textarea, a description) keeps tab, line feed and carriage return; a
  vertical tab or a form feed (a line or page break) becomes a line feed;
- a single-line text (a name, a title, a number) turns every one of these into a space;
- every other C0 control character, DEL and the C1 control characters (U+0080–U+009F) are
  dropped. The NUL character may be kept (``keep_nul``) for the forms, whose validator refuses
  it with its own message.
"""

import re

#: Line and page breaks that mean « new line » in a multi-line text.
_BREAKS = re.compile(r"[\x0b\x0c]")
#: Whitespace controls that a single-line text turns into a space.
_SPACES = re.compile(r"[\t\n\r\x0b\x0c]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_CONTROLS_BUT_NUL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")
#: Any character :func:`clean_text` may change (a fast test before the substitutions).
_ANY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_text(value: str, *, multiline: bool = True, keep_nul: bool = False) -> str:
    """``value`` without control characters (see the module's documentation)."""
    if not (_ANY if multiline else _ANY_LINE).search(value):
        return value
    value = _BREAKS.sub("\n", value) if multiline else _SPACES.sub(" ", value)
    return (_CONTROLS_BUT_NUL if keep_nul else _CONTROLS).sub("", value)


def clean_line(value: str) -> str:
    """A single-line text (a name, a title, a code), cleaned."""
    return clean_text(value, multiline=False)
