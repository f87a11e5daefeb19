"""A synthetic class of 200 students on five variants of Homework 3, each with known mistakes.

Every sheet starts from its variant's manifest values (the right answers) and gets at most a
few injected errors whose verdict this test knows: a named misconception, an off-by-one output
size in the CNN table carried through every later row (the later rows recomputed HERE, with the
output-size and parameter arithmetic written out from the spec's raw layer fields), totals that
are the right sums of wrong parts, blanks, and plain wrong numbers. The grader must return
every verdict and every total.
"""

from __future__ import annotations

import csv
import json
import random
from typing import Any

import pytest

from answerkey.derive import derive
from answerkey.grading.grade import grade, prepare
from answerkey.spec import validate
from answerkey.variables import substitute
from answerkey.variants import build_variants
from answerkey.yamlpos import load_yaml
from tests.conftest import ROOT

SPEC = ROOT / "specs" / "homework3-random.yaml"
STUDENTS = 200


def text(value: Any, rng: random.Random) -> str:
    if isinstance(value, list):
        return rng.choice([" x ", "×", " × "]).join(str(v) for v in value)
    if isinstance(value, int):
        return f"{value:,}" if rng.random() < 0.5 else str(value)
    if isinstance(value, dict):
        return value["fraction"]
    return str(value)


def cnn_layers(variables: dict[str, int]) -> list[dict[str, Any]]:
    located = load_yaml(SPEC)
    data = substitute(located, variables)
    problem = next(p for p in data["problems"] if p["id"] == "cnn")
    return list(problem["networks"]["cnn"]["layers"])


def hand_row(layer: dict[str, Any], hwc: tuple[int, ...]) -> dict[str, Any] | None:
    """One table row from the input size, by the textbook arithmetic (None if impossible)."""
    two = lambda v: v if isinstance(v, int) else int(v)  # noqa: E731
    if layer["kind"] in ("conv2d", "maxpool2d"):
        h, _, c = hwc
        k, s, p = two(layer["kernel"]), two(layer.get("stride", 1)), two(layer.get("padding", 0))
        if h + 2 * p < k:
            return None
        out_h = (h + 2 * p - k) // s + 1
        if layer["kind"] == "maxpool2d":
            return {
                "Output size": [out_h, out_h, c],
                "Kernel size": f"{k} × {k}",
                "Params (weights)": 0,
                "Params (with biases)": 0,
            }
        f = two(layer["filters"])
        return {
            "Output size": [out_h, out_h, f],
            "Kernel size": f"{k} × {k} × {c}",
            "Params (weights)": k * k * c * f,
            "Params (with biases)": k * k * c * f + f,
        }
    n_in = 1
    for d in hwc:
        n_in *= d
    units = n_in if layer["units"] == "same" else two(layer["units"])
    return {
        "Output size": [units],
        "Kernel size": "—",
        "Params (weights)": n_in * units,
        "Params (with biases)": n_in * units + units,
    }


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("class")
    build_variants(SPEC, 5, 11, None, tmp / "variants", pdf=False)
    manifest = json.loads((tmp / "variants" / "variants.json").read_text())
    rng = random.Random(2026)
    sheets: list[dict[str, str]] = []
    truth: list[dict[str, tuple[str, str]]] = []
    keys = {}
    for row in manifest:
        located = load_yaml(SPEC)
        keys[row["variant"]] = prepare(
            derive(validate(located, substitute(located, row["variables"]), SPEC.stem))
        )
    columns = [i.id for i in keys["v001"].items]
    # the manifest's other columns too (4(b).3's and 4(b).4's sums, which 4(b).5 and 4(b).6
    # ask for): a CSV made from the manifest names them; they are read and not marked
    columns += [c for c in manifest[0]["answers"] if c not in columns]
    for n in range(STUDENTS):
        row = manifest[n % 5]
        items = {i.id: i for i in keys[row["variant"]].items}
        values: dict[str, Any] = dict(row["answers"])
        verdict: dict[str, tuple[str, str]] = {}
        scenario = n % 6
        if scenario == 1:  # a named misconception on an item that has one
            ids = [i for i in values if items.get(i) and items[i].mistakes]
            item = items[rng.choice(sorted(ids))]
            firsts = {}
            for m in item.mistakes:
                firsts.setdefault(str(m.value), m)
            m = rng.choice(list(firsts.values()))
            values[item.id] = list(m.value) if isinstance(m.value, tuple) else m.value
            verdict[item.id] = ("misconception", m.code)
        elif scenario == 2:  # off-by-one in the CNN table, carried through every later row
            layers = cnn_layers(row["variables"])
            names = [lay["name"] for lay in layers]
            start = rng.randrange(0, 3)
            out = values[f"3(a) {names[start]} Output size"]
            wrong = [out[0] - 1, out[1] - 1, out[2]]
            chain: dict[str, Any] = {f"3(a) {names[start]} Output size": wrong}
            prev = tuple(wrong)
            for lay in layers[start + 1 :]:
                got = hand_row(lay, prev)
                assert got is not None
                chain[f"3(a) {lay['name']} Input size"] = list(prev)
                for col, v in got.items():
                    chain[f"3(a) {lay['name']} {col}"] = v
                prev = tuple(got["Output size"])
            for cid, v in chain.items():
                if v != values[cid]:
                    values[cid] = v
                    verdict[cid] = ("ecf", "")
            verdict[f"3(a) {names[start]} Output size"] = ("misconception", "off-by-one")
        elif scenario == 3:  # biases added in 1(b); 1(e) the right sum of the student's parts
            b = next(m.value for m in items["1(b)"].mistakes if m.code == "biases-added")
            values["1(b)"] = b
            values["1(e)"] = b + values["1(c)"] + values["1(d)"]
            verdict["1(b)"] = ("misconception", "biases-added")
            verdict["1(e)"] = ("ecf", "")
        elif scenario == 4:  # FLOPs for one module; both totals follow from the student's parts
            values["4(b).3 5×5 conv"] *= 2
            steps = [k for k in values if k.startswith("4(b).3 ")]
            total = sum(values[k] for k in steps)
            values["4(b).3"] = values["4(b).5"] = total
            verdict["4(b).3 5×5 conv"] = ("misconception", "flops-for-macs")
            verdict["4(b).5"] = ("ecf", "")  # 4(b).3's sum is not an item: 4(b).5 asks it
        elif scenario == 5:  # a blank and a plain wrong number
            blank = rng.choice(sorted(set(values) - {"1(a)"}))  # 1(a) gets a wrong value
            values[blank] = None
            verdict[blank] = ("blank", "")
            values["1(a)"] = values["1(a)"] + 7
            verdict["1(a)"] = ("wrong", "")
        sheet = {"student": f"student {n:03d}", "variant": row["variant"]}
        sheet.update(
            {k: "" if v is None else text(v, rng) for k, v in values.items() if k in columns}
        )
        sheets.append(sheet)
        truth.append(verdict)
    answers = tmp / "answers.csv"
    with answers.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["student", "variant", *columns])
        w.writeheader()
        w.writerows(sheets)
    marked = grade(SPEC, answers, tmp / "variants")
    return {"marked": marked, "truth": truth}


def test_every_verdict(classroom: dict[str, Any]) -> None:
    assert len(classroom["marked"]) == STUDENTS
    for m, truth in zip(classroom["marked"], classroom["truth"], strict=True):
        for mark in m.marks:
            if mark.item.id not in {k for k in truth}:
                expect = (
                    ("blank", "")
                    if mark.status == "blank" and mark.item.id.startswith(("2(b)", "2(c)"))
                    else ("correct", "")
                )
            else:
                expect = truth[mark.item.id]
            assert (mark.status, mark.code) == expect, (
                m.sheet.student,
                mark.item.id,
                mark.given,
                mark.note,
            )


def test_every_total(classroom: dict[str, Any]) -> None:
    for m, truth in zip(classroom["marked"], classroom["truth"], strict=True):
        lost = sum(
            k.item.points
            for k in m.marks
            if truth.get(k.item.id, ("correct",))[0] not in ("correct", "ecf")
            or (k.item.id not in truth and k.status == "blank")
        )
        assert m.total == pytest.approx(m.available - lost, abs=1e-3), m.sheet.student
