"""The fact sheet: nothing cites the out-of-repository notes, every section cited exists.

Scenario comments, reference-table ``source`` cells and the docs cite
``docs/sources.md`` by section (``docs/sources.md §5``). These tests read the
repository's own files, so they fail as soon as a citation points at a section
that was renumbered away, or at the steering notes that live
outside the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"

# Without git: folders that are not the project's files (version control, build and
# cache output, results of runs).
SKIPPED_DIRS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
                ".import_linter_cache", "build", "dist", "out", "results", ".venv"}

FORBIDDEN = "DOMAIN" + ".md"   # split so that this file does not mention it

# "sources.md §5", "sources.md §3, §4", "sources.md §10 to §13", "sources.md §1 and §2"
CITATION = re.compile(r"sources\.md ((?:§\d+(?:, | to | and |-)?)+)")
SECTION = re.compile(r"§(\d+)")
HEADING = re.compile(r"^## §(\d+) \S", re.MULTILINE)


def _project_files() -> list[Path]:
    """The repository's files: tracked or new, not ignored (``git ls-files``).

    Without git (an unpacked archive), every file outside the skipped folders.
    """
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], cwd=ROOT, capture_output=True,
                                check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        listed = None
    if listed is not None:
        return [ROOT / name for name in listed.decode().split("\0")
                if name and (ROOT / name).is_file()]
    files = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
            continue
        if path.is_file():
            files.append(path)
    return files


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file (figures)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def _sections() -> set[int]:
    return {int(n) for n in HEADING.findall(SOURCES.read_text(encoding="utf-8"))}


def test_no_file_cites_the_out_of_repository_notes() -> None:
    offenders = []
    for path in _project_files():
        rel = path.relative_to(ROOT).as_posix()
        text = _text(path)
        if text is not None and FORBIDDEN in text:
            offenders.append(rel)
    assert offenders == [], f"cite docs/sources.md by section instead: {offenders}"


def test_sections_are_numbered_in_order() -> None:
    numbers = [int(n) for n in HEADING.findall(SOURCES.read_text(encoding="utf-8"))]
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_cited_section_exists() -> None:
    sections = _sections()
    cited: dict[str, set[int]] = {}
    for path in _project_files():
        text = _text(path)
        if text is None:
            continue
        rel = path.relative_to(ROOT).as_posix()
        for match in CITATION.finditer(text):
            cited.setdefault(rel, set()).update(int(n) for n in SECTION.findall(match.group(1)))
    # docs/ODD.md declares that its bare "§N" cite the fact sheet.
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    cited.setdefault("docs/ODD.md", set()).update(int(n) for n in SECTION.findall(odd))
    missing = {rel: sorted(numbers - sections) for rel, numbers in cited.items()
               if numbers - sections}
    assert missing == {}, f"sections cited but not in docs/sources.md: {missing}"
    # The scenarios do cite it: a citation pattern that stopped matching would pass vacuously.
    assert "scenarios/base.toml" in cited and len(cited["scenarios/base.toml"]) >= 5


def test_citation_pattern_reads_lists() -> None:
    found = [SECTION.findall(m.group(1)) for m in CITATION.finditer(
        "x (docs/sources.md §3, §4) y sources.md §10 to §13; sources" ".md §99")]
    assert found == [["3", "4"], ["10", "13"], ["99"]]
