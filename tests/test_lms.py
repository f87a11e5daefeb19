"""Moodle XML and Canvas QTI exports: structure as each system reads it, values round-tripped.

The Moodle checks follow question/format/xml/format.php (element names, ``fraction`` as a
percentage attribute, ``<tolerance>``, ``<file encoding="base64">`` and ``@@PLUGINFILE@@``) and
qtype_multianswer's field grammar (``{w:NUMERICAL:=value:tolerance#feedback~%0%…}``), whose
regular expressions are transcribed below. Values read back must equal the variants manifest
of the same spec and seed.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from answerkey.variants import build_variants
from tests.conftest import ROOT

SPEC = ROOT / "specs" / "homework3-random.yaml"
NUMBER = r"-?(?:(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?)"
ALTERNATIVE = (
    r"(?:=|%-?[0-9]+%)?(?:.+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$))(?:#(?:.*?(?<!\\)(?=[~}]|$)))?"
)
FIELD = re.compile(r"\{([0-9]*):(NUMERICAL|NM):(" + ALTERNATIVE + r"(~" + ALTERNATIVE + r")*)\}")


def cli(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "answerkey.cli", *args], check=True, cwd=ROOT, capture_output=True
    )


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("v")
    build_variants(SPEC, 20, 1, None, tmp / "v", pdf=False)
    rows = json.loads((tmp / "v" / "variants.json").read_text())
    return {r["variant"]: r["answers"] for r in rows}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory, tex_available: None) -> ET.Element:
    out = tmp_path_factory.mktemp("m") / "bank.xml"
    cli("moodle", str(SPEC), "--count", "20", "--seed", "1", "-o", str(out))
    return ET.parse(out).getroot()


def _flat(value: Any) -> list[float]:
    if isinstance(value, list):
        return [float(v) for v in value]
    if isinstance(value, dict):
        return [value["decimal"]]
    if isinstance(value, str):  # a kernel cell, "3 × 3 × 64"
        return [float(v) for v in value.split(" × ")]
    return [float(value)]


def test_moodle_structure(bank: ET.Element) -> None:
    assert bank.tag == "quiz"
    questions = bank.findall("question")
    category = None
    per_category: dict[str, list[ET.Element]] = {}
    for q in questions:
        if q.get("type") == "category":
            category = q.findtext("category/text")
            assert category and category.startswith("$course$/top/Homework 3/")
            continue
        assert category is not None
        per_category.setdefault(category, []).append(q)
        assert q.get("type") in ("numerical", "cloze")
        assert q.findtext("name/text")
        assert q.find("questiontext").get("format") == "html"
        assert q.findtext("generalfeedback/text")
        if q.get("type") == "numerical":
            answers = q.findall("answer")
            assert answers[0].get("fraction") == "100"
            assert all(a.get("fraction") in ("100", "0") for a in answers)
            assert all(re.fullmatch(NUMBER, a.findtext("text") or "") for a in answers)
            assert all(re.fullmatch(NUMBER, a.findtext("tolerance") or "") for a in answers)
        else:
            text = q.findtext("questiontext/text") or ""
            assert FIELD.search(text)
            assert "{" not in FIELD.sub("", text)  # every field parses whole
    assert len(per_category) == 11
    assert all(len(qs) == 20 for qs in per_category.values())


def test_moodle_figures(bank: ET.Element) -> None:
    files = bank.findall(".//generalfeedback/file")
    assert files, "the worked solutions embed the key's diagrams"
    for f in files:
        assert f.get("encoding") == "base64" and f.get("path") == "/"
        assert base64.b64decode(f.text or "")[:8] == b"\x89PNG\r\n\x1a\n"
        parent_text = (
            next(t for t in bank.iter("generalfeedback") if f in list(t)).findtext("text") or ""
        )
        assert f"@@PLUGINFILE@@/{f.get('name')}" in parent_text


def test_moodle_values_round_trip(bank: ET.Element, manifest: dict[str, dict[str, Any]]) -> None:
    checked = 0
    for q in bank.findall("question"):
        if q.get("type") == "category":
            continue
        name = q.findtext("name/text") or ""
        label, variant = name.rsplit(" ", 1)
        answers = manifest[variant]
        if q.get("type") == "numerical":
            right = float(q.find("answer").findtext("text"))  # type: ignore[union-attr, arg-type]
            assert right == pytest.approx(_flat(answers[label])[0], rel=1e-5)
            checked += 1
            continue
        text = q.findtext("questiontext/text") or ""
        rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", text)
        for blank, fields in rows:
            key = f"{label} {blank}".replace("&amp;", "&") if blank != "Answer" else label
            values = [
                float(re.match(r"=(" + NUMBER + ")", m.group(3)).group(1))  # type: ignore[union-attr]
                for m in FIELD.finditer(fields)
            ]
            if key in answers:
                assert values == pytest.approx(_flat(answers[key]), rel=1e-5), (name, key)
                checked += 1
    assert checked > 1000


def test_canvas_package(tmp_path: Path, manifest: dict[str, dict[str, Any]]) -> None:
    out = tmp_path / "c.zip"
    cli("canvas", str(SPEC), "--count", "20", "--seed", "1", "--no-figures", "-o", str(out))
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert "imsmanifest.xml" in names
        man = ET.fromstring(z.read("imsmanifest.xml"))
        ns = {"c": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
        res = man.find("c:resources/c:resource", ns)
        assert res is not None and res.get("type") == "imsqti_xmlv1p2"
        qti = ET.fromstring(z.read(res.get("href")))  # type: ignore[arg-type]
    q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    sections = qti.findall(f"{q}assessment/{q}section/{q}section")
    assert len(sections) == 11
    checked = 0
    for sec in sections:
        assert sec.findtext(f"{q}selection_ordering/{q}selection/{q}selection_number") == "1"
        items = sec.findall(f"{q}item")
        assert len(items) == 20
        for item in items:
            kind = {
                f.findtext(f"{q}fieldlabel"): f.findtext(f"{q}fieldentry")
                for f in item.iter(f"{q}qtimetadatafield")
            }["question_type"]
            label, variant = (item.get("title") or "").rsplit(" ", 1)
            if kind == "numerical_question":
                last = item.findall(f"{q}resprocessing/{q}respcondition")[-1]
                low = float(last.findtext(f"{q}conditionvar/{q}vargte"))  # type: ignore[arg-type]
                high = float(last.findtext(f"{q}conditionvar/{q}varlte"))  # type: ignore[arg-type]
                want = _flat(manifest[variant][label])[0]
                assert low <= want <= high and high - low <= abs(want) * 0.011
                checked += 1
            else:
                assert kind == "fill_in_multiple_blanks_question"
                text = item.findtext(f"{q}presentation/{q}material/{q}mattext") or ""
                rights = {
                    rl.get("ident"): rl.findtext(
                        f"{q}render_choice/{q}response_label/{q}material/{q}mattext"
                    )
                    for rl in item.iter(f"{q}response_lid")
                }
                for blank, cells in re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", text):
                    key = f"{label} {blank}".replace("&amp;", "&")
                    got = [float(rights[f"response_{b}"]) for b in re.findall(r"\[(b\d+)\]", cells)]  # type: ignore[arg-type]
                    if key in manifest[variant]:
                        assert got == pytest.approx(_flat(manifest[variant][key]), rel=1e-5)
                        checked += 1
    assert checked > 1000


def test_exports_are_deterministic(tmp_path: Path) -> None:
    for n in (1, 2):
        cli(
            "canvas",
            str(SPEC),
            "--count",
            "2",
            "--seed",
            "3",
            "--no-figures",
            "-o",
            str(tmp_path / f"{n}.zip"),
        )
        cli(
            "moodle",
            str(SPEC),
            "--count",
            "2",
            "--seed",
            "3",
            "--no-figures",
            "-o",
            str(tmp_path / f"{n}.xml"),
        )
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()
    assert (tmp_path / "1.xml").read_bytes() == (tmp_path / "2.xml").read_bytes()
