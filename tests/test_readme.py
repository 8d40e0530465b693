"""The README, the Procfile and .ci/run stay in step with the code; the README stays a front door."""

from __future__ import annotations

import re

from bot.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
# Where the environment may be read: the product's packages, Alembic's env.py and gunicorn's settings.
SETTINGS_READERS = sorted([*(p for package in ("bot", "handlers", "models", "scheduler", "migrations")
                             for p in (PROJECT_ROOT / package).rglob("*.py")), PROJECT_ROOT / "gunicorn.conf.py"])


def test_the_readme_fits_two_screens() -> None:
    assert len(README.splitlines()) <= 120


def test_the_procfile_has_release_web_and_scheduler() -> None:
    lines = dict(line.split(":", 1) for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line)
    assert {k: v.strip() for k, v in lines.items()} == {
        "release": "alembic upgrade head",
        "web": "gunicorn -c gunicorn.conf.py 'bot:create_app()'",
        "scheduler": "python -m scheduler",
    }


def test_ci_runs_the_readme_test_command() -> None:
    first_screen = "\n".join(README.splitlines()[:40])
    commands = re.findall(r"^(scripts/\w+)", first_screen, flags=re.M)
    assert commands == ["scripts/run", "scripts/test"]
    assert "scripts/test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def settings_read() -> set[str]:
    """Every environment variable the code reads (os.environ.get, env.get, _positive_int/float(env, …))."""
    pattern = re.compile(r"""(?:environ\.get|env\.get|_positive_(?:int|float))"""
                         r"""\(\s*(?:env,\s*)?["']([A-Z][A-Z0-9_]+)["']""")
    return {name for path in SETTINGS_READERS
            for name in pattern.findall(path.read_text(encoding="utf-8"))}


def settings_documented() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {name for row in section.splitlines() if row.startswith("| `")
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_configuration_table_lists_exactly_the_settings_the_code_reads() -> None:
    assert settings_read() == settings_documented()
