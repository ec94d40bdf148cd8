"""Text for the user, written in English in Qt-free code and translated by the views.

``QT_TRANSLATE_NOOP`` marks a string for Qt's lupdate without importing Qt;
:class:`Message` carries a template and its values so a view can translate it
with ``QCoreApplication.translate``.
"""

from __future__ import annotations

from collections.abc import Callable


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name Qt's lupdate looks for
    """Marks ``text`` for Qt's lupdate without importing Qt; returns it unchanged."""
    return text


class Message(str):
    """English text that also keeps its template and values, so a view can translate it.

    ``str(message)`` is the English text; ``message.translated(QCoreApplication.translate)``
    is the text in the user's language. Values that are Messages are translated too.
    """

    context: str
    template: str
    values: dict[str, object]

    def __new__(cls, context: str, template: str, /, **values: object) -> Message:
        self = super().__new__(cls, template.format(**values))
        self.context = context
        self.template = template
        self.values = values
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, object]]:
        return (self.context, self.template), self.values  # for copy and pickle

    def translated(self, translate: Callable[[str, str], str]) -> str:
        values = {
            key: value.translated(translate) if isinstance(value, Message) else value
            for key, value in self.values.items()
        }
        return translate(self.context, self.template).format(**values)
