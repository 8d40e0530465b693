"""Browser tests: Debian's headless Chromium driven by Playwright against Saiyai served on loopback.

The desk's rig lives in desk_rig.py; its fixtures are made available to every module here."""

from desk_rig import desk_browser, desk_page, desk_stack  # noqa: F401  (fixtures)
