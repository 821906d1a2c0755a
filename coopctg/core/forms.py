"""What every form of the project shares: text cleaned of control characters on input.

:class:`CleanTextMixin` goes first in the bases of a form (``class CtgForm(CleanTextMixin,
forms.ModelForm)``). Before the form validates, each of its text fields (``CharField`` and
its subclasses) is cleaned by :func:`coopctg.core.text.clean_text`: a Word line break
(``\\x0b``) pasted in a textarea becomes a line feed, in a one-line field a space, and the
other control characters go; so such characters are never stored, and the form shows the
cleaned text when it is displayed again. The NUL character is left to Django's own validator,
which refuses it with its message. ``tests/core/test_forms.py`` checks that every form of the
project with a text field uses the mixin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from coopctg.core.text import clean_text

if TYPE_CHECKING:
    _Base = forms.BaseForm
else:
    _Base = object


def _cleaned(field: forms.Field, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    multiline = isinstance(field.widget, forms.Textarea)
    return clean_text(value, multiline=multiline, keep_nul=True)


class CleanTextMixin(_Base):
    """Cleans the control characters of every text field before validation (see the
    module's documentation)."""

    def full_clean(self) -> None:
        if self.is_bound:
            self._clean_text_data()
        super().full_clean()

    def _clean_text_data(self) -> None:
        changes: dict[str, list[Any]] = {}
        for name, field in self.fields.items():
            if not isinstance(field, forms.CharField) or field.disabled:
                continue
            key = self.add_prefix(name)
            if hasattr(self.data, "getlist"):
                values = list(self.data.getlist(key))
            elif key in self.data:
                values = [self.data[key]]
            else:
                continue
            cleaned = [_cleaned(field, value) for value in values]
            if cleaned != values:
                changes[key] = cleaned
        if not changes:
            return
        data = self.data.copy()  # a QueryDict is immutable: a copy, changed
        for key, cleaned in changes.items():
            if hasattr(data, "setlist"):
                data.setlist(key, cleaned)
            else:
                data[key] = cleaned[0]
        self.data = data
