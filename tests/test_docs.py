"""The manual (README.md and docs/) stays navigable and in step with the code: the command table is the
registry's, and every relative link points at a file (or a heading) that exists."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from handlers.__main__ import COMMANDS_DOC, END, START, generated_block, table, with_table

# Files the manual links to that a tool makes rather than a person: the only links allowed to point at
# a file that is not (yet) in the tree. Path from the project root -> what makes it.
GENERATED = {
    "docs/img/simulator.png": "the simulator's screenshot, taken by a browser test (issue 20)",
}

PAGES = sorted([PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def page_id(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def prose(text: str) -> str:
    """The text without code blocks and code spans, where a bracket is not a link."""
    return CODE.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link and image target of a markdown text, in order."""
    return LINK.findall(prose(text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (Thai vowel marks kept), spaces to hyphens."""
    heading = CODE.sub(lambda m: m.group(0).strip("`"), heading).lower()
    kept = "".join(ch for ch in heading if ch in " -" or unicodedata.category(ch)[0] in "LMN"
                   or unicodedata.category(ch) == "Pc")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a markdown file's headings (a repeated heading gets -1, -2, … as on GitHub)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of one page that point at nothing, each with the reason."""
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # https:, mailto: … (the network is not ours to check)
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if PROJECT_ROOT not in resolved.parents and resolved != PROJECT_ROOT:
            broken.append(f"{target}: outside the project")
            continue
        relative = resolved.relative_to(PROJECT_ROOT).as_posix()
        if not resolved.exists():
            if relative not in GENERATED:
                broken.append(f"{target}: no such file ({relative})")
            continue
        if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{target}: no heading #{fragment} in {relative}")
    return broken


def test_the_command_table_in_docs_is_the_registry() -> None:
    """Regenerate it with `python -m handlers --write` when a command changes."""
    assert generated_block(COMMANDS_DOC.read_text(encoding="utf-8")) == table()


def test_writing_the_table_replaces_only_the_generated_block() -> None:
    document = f"# Commands\n\nintro\n\n{START}\n| old | table |\n{END}\n\nafter\n"
    assert with_table(document) == f"# Commands\n\nintro\n\n{START}\n{table()}\n{END}\n\nafter\n"
    with pytest.raises(ValueError):
        with_table("# Commands without markers\n")


def test_the_readme_links_the_command_table() -> None:
    assert "docs/commands.md" in links((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_points_at_a_file(page: Path) -> None:
    assert broken_links(page) == []


def test_every_generated_file_is_linked_from_the_manual() -> None:
    """A generated file nobody links to any more leaves the list above."""
    linked = {(page.parent / target.partition("#")[0]).resolve().relative_to(PROJECT_ROOT).as_posix()
              for page in PAGES for target in links(page.read_text(encoding="utf-8"))
              if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and target.partition("#")[0]}
    assert set(GENERATED) <= linked


def test_every_page_of_the_manual_can_be_reached_from_the_readme() -> None:
    reached, todo = set(), [PROJECT_ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in reached or not page.exists() or page.suffix != ".md":
            continue
        reached.add(page)
        todo += [(page.parent / t.partition("#")[0]).resolve() for t in links(page.read_text(encoding="utf-8"))
                 if t.partition("#")[0] and not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I)]
    assert sorted(page_id(p) for p in set(PAGES) - reached) == []


# --- the checker itself -----------------------------------------------------------------------------

def test_links_are_found_outside_code_only() -> None:
    text = ("See [ops](docs/operations.md#backups) and ![shot](docs/img/a.png \"title\").\n"
            "`[not](a-link.md)`\n```\n[nor](this.md)\n```\n[web](https://example.org)")
    assert links(text) == ["docs/operations.md#backups", "docs/img/a.png", "https://example.org"]


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Two commands on a fresh machine", "two-commands-on-a-fresh-machine"),
    ("ส่งประกาศถึงโซนเดียว / A notice to one zone", "ส่งประกาศถึงโซนเดียว--a-notice-to-one-zone"),
    ("`ตอบแทน` (proxy)", "ตอบแทน-proxy"),
    ("Quota, and what 429 means", "quota-and-what-429-means"),
])
def test_anchors_are_githubs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = tmp_path.resolve()
    monkeypatch.setitem(globals(), "PROJECT_ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("# Here\n\n## Backups\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/here.md) [ok too](docs/here.md#backups) [self](#top)\n# Top\n"
                    "[gone](docs/gone.md) [bad anchor](docs/here.md#restore) [up](../elsewhere.md)\n"
                    "![made later](docs/img/simulator.png) ![not listed](docs/img/other.png)\n", encoding="utf-8")
    assert broken_links(page) == [
        "docs/gone.md: no such file (docs/gone.md)",
        "docs/here.md#restore: no heading #restore in docs/here.md",
        "../elsewhere.md: outside the project",
        "docs/img/other.png: no such file (docs/img/other.png)",
    ]
