"""A language's catalogue is a package of modules, one per capability; `merged` joins their TEXT dicts.

Within one module a repeated key is refused by the linter (F601); across modules `merged` refuses it when
the catalogue is imported, so a second definition can never silently win.
"""

from __future__ import annotations

from types import ModuleType


class DuplicateKey(Exception):
    """Two modules of one language define the same key."""


def merged(*modules: ModuleType) -> dict[str, str]:
    """The modules' TEXT dicts as one, in the order given; a key defined in two modules raises DuplicateKey."""
    text: dict[str, str] = {}
    defined_in: dict[str, str] = {}
    for module in modules:
        for key, value in module.TEXT.items():
            if key in text:
                raise DuplicateKey(f"catalogue key {key!r} is defined in both {defined_in[key]} and {module.__name__}")
            text[key] = value
            defined_in[key] = module.__name__
    return text
