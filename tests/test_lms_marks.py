"""What a Moodle question is worth: ``<defaultgrade>`` of a numerical question, the field
weights of a cloze question.

Moodle's rules, from its source: a cloze field is ``{weight:NUMERICAL:…}`` with a whole-number
weight (qtype_multianswer's ``ANSWER_START_REGEX`` is ``\\{([0-9]*):``; empty means 1), and a
cloze question's mark is the sum of its fields' weights (``qtype_multianswer_extract_question``
adds them; ``qformat_xml::import_multianswer`` reads no ``<defaultgrade>``, Moodle's exporter
writes none for a cloze, and the editing form removes the field). So the weights must share the
part's points as the grader does, and sum to the points, or where whole numbers cannot (a
15-point table with 75 fields) to a whole multiple of them, which a quiz slot's maximum mark
scales back exactly.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_grade_spec import hw3, part, run

RANDOM = ROOT / "specs" / "homework3-random.yaml"
WEIGHT = re.compile(r"\{([0-9]*):(?:NUMERICAL|NM):")


def part_points(spec: Path) -> dict[str, int]:
    """Each part's points as the spec writes them, by label (``3(a)``)."""
    data = yaml.safe_load(spec.read_text())
    return {
        f"{n}({p['id']})": p["points"]
        for n, problem in enumerate(data["problems"], 1)
        for p in problem["parts"]
        if "points" in p
    }


def bank(spec: Path, out: Path, *args: str) -> list[ET.Element]:
    proc = run("moodle", str(spec), "--no-figures", "-o", str(out), *args)
    assert proc.returncode == 0, proc.stderr
    return [q for q in ET.parse(out).getroot().findall("question") if q.get("type") != "category"]


def rows(q: ET.Element) -> dict[str, list[int]]:
    """A cloze question's blanks: label → the weights of its fields, as Moodle reads them."""
    text = q.findtext("questiontext/text") or ""
    return {
        label: [int(w or 1) for w in WEIGHT.findall(fields)]
        for label, fields in re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", text)
    }


def mark(q: ET.Element) -> int:
    """Moodle's mark for a cloze question: the sum of its fields' weights."""
    return sum(sum(w) for w in rows(q).values())


@pytest.fixture(scope="module")
def random_bank(tmp_path_factory: pytest.TempPathFactory) -> list[ET.Element]:
    out = tmp_path_factory.mktemp("m") / "bank.xml"
    return bank(RANDOM, out, "--count", "3", "--seed", "1")


def test_numerical_default_grade_is_the_parts_points(random_bank: list[ET.Element]) -> None:
    points = part_points(RANDOM)
    numerical = [q for q in random_bank if q.get("type") == "numerical"]
    assert len(numerical) == 5 * 3
    for q in numerical:
        label = (q.findtext("name/text") or "").rsplit(" ", 1)[0]
        assert q.findtext("defaultgrade") == f"{points[label]}"


def test_cloze_weights_share_the_parts_points(random_bank: list[ET.Element]) -> None:
    points = part_points(RANDOM)
    cloze = [q for q in random_bank if q.get("type") == "cloze"]
    assert len(cloze) == 6 * 3
    for q in cloze:
        name = q.findtext("name/text") or ""
        label = name.rsplit(" ", 1)[0]
        assert q.find("defaultgrade") is None  # Moodle reads none for a cloze
        blanks = rows(q)
        total, p = mark(q), points[label]
        # a whole multiple of the points, and the smallest: no common factor of every weight
        # also divides the multiple
        assert total % p == 0, name
        weights = [w for ws in blanks.values() for w in ws]
        assert math.gcd(math.gcd(*weights), total // p) == 1, name
        # no rubric: every blank (item) is worth the same, split equally over its fields
        assert len({sum(ws) for ws in blanks.values()}) == 1, name
        assert all(len(set(ws)) == 1 for ws in blanks.values()), name
    by_part = {(q.findtext("name/text") or "").rsplit(" ", 1)[0]: mark(q) for q in cloze}
    # 3(a): 38 numeric cells of a 15-point table (the dense layers' kernel "—" is not asked
    # online), each 15/38 points, split over 1, 2 or 3 fields: 15/38, 15/76, 15/114. The
    # smallest k making all whole is lcm(38, 76, 114) / gcd = 228 / 3 = 76: 30, 15, 10
    assert by_part["3(a)"] == 76 * 15
    # 4(d): its two ratios share 5 points, 2.5 each: 5 + 5 = 2 × 5
    assert by_part["4(d)"] == 2 * 5


def with_whole_shares(data: dict[str, Any]) -> None:
    """2(b) worth 8: its four edges are 2-field sizes, 1 point per field."""
    data["problems"][1]["points"] += 4
    part(data, "perceptron", "b")["points"] = 8


def with_rubric(data: dict[str, Any]) -> None:
    part(data, "cnn", "a")["rubric"] = [
        {"points": 6, "text": "Every output size", "items": "3(a) * Output size"},
        {"points": 1, "text": "Says why the dense layers have no kernel"},
    ]


@pytest.mark.parametrize("change", [with_whole_shares, with_rubric])
def test_cloze_weights_follow_the_spec(tmp_path: Path, change: Callable[[Any], None]) -> None:
    spec = hw3(tmp_path, change)
    questions = {q.findtext("name/text"): q for q in bank(spec, tmp_path / "b.xml")}
    if change is with_whole_shares:
        assert rows(questions["2(b)"]) == {f: [1, 1] for f in rows(questions["2(b)"])}
        assert len(rows(questions["2(b)"])) == 4 and mark(questions["2(b)"]) == 8
        return
    table = rows(questions["3(a)"])
    sizes = sum(sum(ws) for label, ws in table.items() if label.endswith("Output size"))
    # online, 3(a) is worth 14 (its criterion without items is marked by hand): the output
    # sizes' criterion has 6 of them, the other 30 numeric cells (not the two kernels "—")
    # share the other 8
    assert len(table) == 38
    assert Fraction(sizes, mark(questions["3(a)"])) == Fraction(6, 14)
    assert mark(questions["3(a)"]) % 14 == 0
