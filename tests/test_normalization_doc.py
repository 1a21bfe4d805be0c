"""docs/normalization.md is the reference the code and tests cite: it exists, lists
each of the seeds' mistakes once, and has every section a citation names."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "normalization.md"
CITING = ["minigrad", "layers", "tests", "tutorials", "benchmarks", "README.md"]


def citing_files():
    """The code and prose of the repository that may cite the reference (not this file)."""
    for top in CITING:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(path.rglob("*.py")) + sorted(path.rglob("*.md"))
        yield from (f for f in files if f != Path(__file__).resolve())


def test_every_mistake_of_the_seeds_is_listed_once():
    listed = re.findall(r"^- \*\*E(\d+)\*\*", DOC.read_text(), flags=re.M)
    assert listed == [str(n) for n in range(1, 32)]


def test_no_citation_of_a_reference_outside_the_repository():
    old = "NORMALIZATION" + ".md"
    assert [f for f in citing_files() if old in f.read_text()] == []


def test_every_cited_section_and_mistake_exists():
    text = DOC.read_text()
    sections = set(re.findall(r"^## (\d)\. ", text, flags=re.M))
    assert sections == {"1", "2", "3", "4", "5"}
    cited = 0
    for f in citing_files():
        for m in re.finditer(r"docs/normalization\.md[^\n]{0,30}", f.read_text()):
            cited += 1
            section = re.search(r"section (\d)|#(\d)-", m.group(0))
            if section:
                assert (section.group(1) or section.group(2)) in sections, (f, m.group(0))
            mistake = re.search(r"\bE(\d+)\b", m.group(0))
            if mistake:
                assert f"**E{mistake.group(1)}**" in text, (f, m.group(0))
    assert cited >= 8
