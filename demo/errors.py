"""Messages by key: an error a user should read carries a key of demo/i18n and its fields, and is
put into words once, at the UI's edge, in the page's language.  Pure (no gradio).

    from demo.errors import Text, UserError, message
    raise UserError("text.error.range", label=Text("text.length.label"), lo=1, hi=5000, value=9999, hint="")
    str(e)                 # the English words (logs, tests, API clients that send no language)
    e.text("zh-CN")        # the same message in Simplified Chinese
    message(e, "zh-CN")    # any exception: a UserError in the language, anything else in English

A field may itself be a ``Text`` (a key and its own fields: a control's label, a hint) or a
``UserError`` (a message inside another, e.g. a link parameter's): it is put into words in the
same language.  Other values are formatted by the key's placeholders as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from demo import i18n


@dataclass(frozen=True)
class Text:
    """A piece of words to be written in the reader's language: ``key`` of demo/i18n, ``fields``."""
    key: str
    fields: dict = field(default_factory=dict)

    def __init__(self, key: str, **fields):
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "fields", fields)

    def text(self, lang: str | None = i18n.DEFAULT) -> str:
        return i18n.t(self.key, lang, **{k: words(v, lang) for k, v in self.fields.items()})

    def __str__(self) -> str:
        return self.text(i18n.DEFAULT)


def words(value, lang):
    """A field's value as the reader sees it: ``Text`` and ``UserError`` in ``lang``, lists of
    them joined, anything else as it is (the key's format spec applies)."""
    if isinstance(value, (Text, UserError)):
        return value.text(lang)
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Text, UserError)) for v in value):
        return ", ".join(str(words(v, lang)) for v in value)
    return value


class UserError(ValueError):
    """Bad input, said to the user: ``key`` of demo/i18n and its ``fields``.  ``str()`` is the
    English message; ``text(lang)`` the message in ``lang``."""

    def __init__(self, key: str, **fields):
        self.key, self.fields = key, fields
        self.message = Text(key, **fields)
        super().__init__(self.message.text(i18n.DEFAULT))

    def text(self, lang: str | None = i18n.DEFAULT) -> str:
        return self.message.text(lang)

    def __reduce__(self):   # across processes (the workers) with its key and fields
        return (_rebuild, (type(self), self.key, self.fields))


def _rebuild(cls, key, fields):
    return cls(key, **fields)


def message(error: BaseException, lang: str | None = i18n.DEFAULT) -> str:
    """What the user reads for ``error``: a UserError (or anything with ``text(lang)``) in
    ``lang``; any other exception's own words."""
    text = getattr(error, "text", None)
    return text(lang) if callable(text) else str(error)
