"""The README, the Procfile and .ci/run stay in step with the code."""

from __future__ import annotations

import re

from bot.config import PROJECT_ROOT
from handlers.__main__ import table

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_command_table_is_the_registry() -> None:
    """Regenerate it with `python -m handlers` when a command changes."""
    assert table() in README


def test_the_procfile_has_release_web_and_scheduler() -> None:
    lines = dict(line.split(":", 1) for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line)
    assert {k: v.strip() for k, v in lines.items()} == {
        "release": "alembic upgrade head",
        "web": "gunicorn -c gunicorn.conf.py 'bot:create_app()'",
        "scheduler": "python -m scheduler",
    }


def test_ci_runs_the_readme_test_command() -> None:
    first_screen = README.split("## Commands", 1)[0]
    commands = re.findall(r"^(scripts/\w+)", first_screen, flags=re.M)
    assert commands == ["scripts/run", "scripts/test"]
    assert "scripts/test" in (PROJECT_ROOT / ".ci" / "run").read_text()
