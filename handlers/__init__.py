"""Command handlers, one module per capability (a package of modules past ~500 lines), and the registry built from them."""

from __future__ import annotations

from handlers import desk, directory, events, followups, groups, invites, members, notices, registration, rotation, rsvp, series
from handlers import help as help_module
from handlers import menus
from handlers.registry import Registry

HANDLER_MODULES = (help_module, registration, invites, groups, directory, members, *events.MODULES, series,
                   *rsvp.MODULES, rotation, followups, *notices.MODULES, menus, desk)

# Built at import so a duplicate keyword fails as soon as anything imports handlers.
REGISTRY = Registry.build(HANDLER_MODULES)
