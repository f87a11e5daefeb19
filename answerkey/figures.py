"""Layouts of the diagrams the key draws: positions and labels, handed to TikZ templates.

A parallel module is drawn bottom-up: the input, one column per branch with its layers in
order, the join on top. Labels are LaTeX made here (escaped names, printed sizes); the
templates only place them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from answerkey.latex import Tex, escape, shape_tex, tex
from derivations.activations import ACTIVATIONS, activation
from derivations.answers import ComputeGraphFigure, Figure, ModuleGraphFigure, ValueGraphFigure
from derivations.layers import LayerKind, LayerResult
from derivations.network import Analysis, JoinResult, Parallel

COLUMN = 3.35  # cm between branch columns
ROW = 1.45  # cm between layers
BOX = Tex("box")  # the TikZ style of a layer's box
JOINBOX = Tex("joinbox")  # the TikZ style of a full-width box (the input, a join)


@dataclass(frozen=True)
class Node:
    id: str
    x: float
    y: float
    label: Tex
    style: Tex = BOX

    @property
    def ref(self) -> Tex:
        """``(id)``: TikZ's node name, parenthesised here to keep the template readable."""
        return Tex(f"({self.id})")

    @property
    def at(self) -> Tex:
        return Tex(f"({self.x:.2f}, {self.y:.2f})")


@dataclass(frozen=True)
class Edge:
    """An arrow; to or from a full-width box (input, join) it runs straight up its column."""

    path: Tex


def _edge(src: str, dst: str, wide: set[str]) -> Edge:
    if src in wide:
        return Edge(Tex(f"({src}.north -| {dst}) -- ({dst})"))
    if dst in wide:
        return Edge(Tex(f"({src}) -- ({src} |- {dst}.south)"))
    return Edge(Tex(f"({src}) -- ({dst})"))


def _name(node: LayerKind | Parallel) -> str:
    return node.name or "" if isinstance(node, Parallel) else node.diagram_label()


def _label(name: str, result: LayerResult | JoinResult) -> Tex:
    shape = shape_tex(result.out_shape)
    if len(shape) > 60:  # a long symbolic size may break after a × rather than overflow the box
        return Tex(rf"{escape(name)}\\ ${shape}$")
    return Tex(rf"{escape(name)}\\ \mbox{{${shape}$}}")


def _join_label(block: Parallel) -> str:
    """The join box's words: its name, and what it does unless the name says it already
    (``Concatenation (along depth)``, ``Add (element-wise)``, ``Merge (concatenated along
    depth)``)."""
    name = block.name.lower()
    if block.join == "concat":
        said = "concat" in name
        return f"{block.name} ({'along depth' if said else 'concatenated along depth'})"
    said = any(word in name for word in ("add", "sum", "plus", "+"))
    return f"{block.name} ({'element-wise' if said else 'added element-wise'})"


def module_graph(analysis: Analysis, sizes: bool = True) -> dict[str, Any]:
    """Node positions and arrows for every layer and join of ``analysis``; with ``sizes``
    False, each box shows only the layer's name (the question sheet: the output sizes are
    the answer), the input keeping its given size.

    Branches are top-aligned, as in Szegedy et al.'s figure: each branch's last layer sits
    just under the join, so every arrow is vertical and none crosses a box.
    """

    def label(name: str, result: LayerResult | JoinResult) -> Tex:
        return _label(name, result) if sizes else escape(name)

    nodes: list[Node] = []
    edges: list[tuple[str, str]] = []
    net = analysis.network
    results = {
        id(r.result.layer if isinstance(r.result, LayerResult) else r.result.block): r
        for r in analysis.rows
    }
    widest = max((len(b.branches) for b in net.layers if isinstance(b, Parallel)), default=1)
    centre = (widest - 1) * COLUMN / 2
    wide = {"in"}
    input_label = Tex(rf"input\\ \mbox{{${shape_tex(net.input)}$}}")
    nodes.append(Node("in", centre, 0.0, input_label, JOINBOX))
    y, prev = 0.0, "in"
    for count, node in enumerate(net.layers, 1):
        nid = f"n{count}"
        if isinstance(node, Parallel):
            depth = max(len(b.layers) for b in node.branches)
            offset = (widest - len(node.branches)) * COLUMN / 2
            ends = []
            for i, branch in enumerate(node.branches):
                last = prev
                start = depth - len(branch.layers)
                for j, layer in enumerate(branch.layers):
                    lid = f"{nid}b{i}l{j}"
                    nodes.append(
                        Node(
                            lid,
                            offset + i * COLUMN,
                            y + (start + j + 1) * ROW,
                            label(_name(layer), results[id(layer)].result),
                        )
                    )
                    edges.append((last, lid))
                    last = lid
                ends.append(last)
            y += (depth + 1) * ROW
            join = results[id(node)].result
            nodes.append(Node(nid, centre, y, label(_join_label(node), join), JOINBOX))
            wide.add(nid)
            edges.extend((e, nid) for e in ends)
        else:
            y += ROW
            nodes.append(Node(nid, centre, y, label(_name(node), results[id(node)].result)))
            edges.append((prev, nid))
        prev = nid
    return {
        "nodes": nodes,
        "edges": [_edge(a, b, wide) for a, b in edges],
        "width": Tex(f"{COLUMN - 0.4:.2f}"),
        "span": Tex(f"{widest * COLUMN - 0.4:.2f}"),
    }


def compute_graph(graph: ComputeGraphFigure) -> dict[str, Tex]:
    """The perceptron graph's labels: node symbols and edge sizes, as LaTeX."""
    sym = {nid: tex(s) for nid, s, _ in graph.nodes}
    size = {src: Tex(r" \times ".join(str(d) for d in dims)) for src, _, dims in graph.edges}
    fn = Tex(activation(str(graph.nodes[3][1])).latex)
    z = next((tex(lbl) for lbl in graph.edge_labels if lbl is not None), Tex(""))
    return {
        "xt": sym["xt"],
        "Wt": sym["Wt"],
        "a": sym["a"],
        "f": fn,
        "z": z,
        "e_xt": size["xt"],
        "e_Wt": size["Wt"],
        "e_mm": size["mm"],
        "e_f": size["f"],
    }


def _graph_json(graph: ComputeGraphFigure) -> dict[str, Any]:
    return {
        "graph": {
            "nodes": [{"id": i, "tex": tex(sym), "role": role} for i, sym, role in graph.nodes],
            "edges": [{"from": a, "to": b, "size": list(size)} for a, b, size in graph.edges],
        }
    }


TIKZ = (Tex(r"\usepackage{tikz}"), Tex(r"\usetikzlibrary{arrows.meta}"))
VALUE_ROW = 1.1  # cm between a value graph's nodes (top to bottom), plus VALUE_ROW_PER_ENTRY
VALUE_ROW_PER_ENTRY = 0.35  # cm per row of the tallest matrix beside an edge
ADJUSTBOX = (Tex(r"\usepackage{adjustbox}"),)  # a value graph is scaled to the line if wider


def _numbers(value: Any, places: int) -> Tex:
    """A number or an explicit matrix as compact LaTeX (``smallmatrix``), to ``places``."""
    if isinstance(value, sp.MatrixBase):
        rows = [" & ".join(tex(v, places) for v in value.row(i)) for i in range(value.rows)]
        return Tex(r"\left[\begin{smallmatrix}" + r" \\ ".join(rows) + r"\end{smallmatrix}\right]")
    return tex(value, places)


def _rows(value: Any) -> int:
    return value.rows if isinstance(value, sp.MatrixBase) else 1


def value_graph(graph: ValueGraphFigure) -> dict[str, Any]:
    """Positions and labels of a value graph, drawn top to bottom so that it keeps the text's
    size on the page: the main chain (inputs, ops, output) in one column; beside each edge of
    the chain its value and, beneath it, its gradient; each op's parameters in one box to the
    left of it (values, and gradients beneath). Rows are spaced for the tallest value."""
    places = graph.decimals
    chain = [(i, s, r) for i, s, r in graph.nodes if r != "param"]
    tallest = max((_rows(e[3]) for e in graph.edges if e[0] in {i for i, _, _ in chain}), default=1)
    step = VALUE_ROW + VALUE_ROW_PER_ENTRY * tallest
    y = {nid: -k * step for k, (nid, _, _) in enumerate(chain)}
    nodes = []
    for nid, sym, role in chain:
        name = str(sym)
        label = Tex(activation(name).latex) if name in ACTIVATIONS else tex(sym)
        if name == "affine":
            label = Tex(r"\times,+")
        elif name == "loss":
            label = Tex(r"\mathcal{L}")
        nodes.append(
            {
                "ref": Tex(f"({nid})"),
                "at": Tex(f"(0, {y[nid]:.2f})"),
                "label": label,
                "style": Tex(role),
            }
        )
    boxes: dict[str, list[tuple[Tex, Tex | None]]] = {}
    edges = []
    for src, dst, sym, value, grad in graph.edges:
        shown = Tex(f"{tex(sym)} = {_numbers(value, places)}")
        gtext = (
            Tex(rf"\tfrac{{\partial L}}{{\partial {tex(sym)}}} = {_numbers(grad, places)}")
            if grad is not None
            else None
        )
        if src in y:
            edges.append({"path": Tex(f"({src}) -- ({dst})"), "above": shown, "below": gtext})
        else:
            boxes.setdefault(dst, []).append((shown, gtext))
    params = [
        {
            "ref": Tex(f"(p{dst})"),
            "at": Tex(f"(-1.3, {y[dst]:.2f})"),
            "target": Tex(f"({dst})"),
            "shown": Tex(r",\ ".join(v for v, _ in items)),
            "grads": Tex(r" \\[2pt] ".join(f"${g}$" for _, g in items if g is not None)),
        }
        for dst, items in boxes.items()
    ]
    return {"nodes": nodes, "edges": edges, "boxes": params}


def _value_graph_json(graph: ValueGraphFigure) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, sp.MatrixBase):
            return [[float(v) for v in value.row(i)] for i in range(value.rows)]
        return float(value)

    return {
        "graph": {
            "nodes": [{"id": i, "tex": tex(sym), "role": role} for i, sym, role in graph.nodes],
            "edges": [
                {"from": a, "to": b, "tex": tex(s), "value": plain(v), "gradient": plain(g)}
                for a, b, s, v, g in graph.edges
            ],
        }
    }


@dataclass(frozen=True)
class FigureKind:
    """How one type of figure is presented: its template (``fragments/<name>.tex.j2``, also
    ``views/<name>.tex.j2`` in the key), the LaTeX packages the template needs, the layout
    the template reads (``answer.layout``), and its extra fields in ``answers.json``."""

    packages: tuple[Tex, ...]
    layout: Callable[[Any], dict[str, Any]]
    json: Callable[[Any], dict[str, Any]]


FIGURES: dict[type, FigureKind] = {
    ModuleGraphFigure: FigureKind(TIKZ, lambda f: module_graph(f.analysis), lambda f: {}),
    ComputeGraphFigure: FigureKind(TIKZ, compute_graph, _graph_json),
    ValueGraphFigure: FigureKind((*TIKZ, *ADJUSTBOX), value_graph, _value_graph_json),
}
"""Every figure type an answer may carry, by its class (:mod:`derivations.answers`)."""


def figure_kind(figure: Figure) -> FigureKind:
    return FIGURES[type(figure)]
