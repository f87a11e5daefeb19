"""The layer-stack figure: a network drawn top-down as a stack of blocks, as textbook figures
of LeNet, AlexNet and VGG draw it.

Each layer is a block (``flat``) or a 3-D box (``boxes``: the box's depth grows with the
map's height, in log scale) showing its name, its kind with its window, and its output size
(H × W × C, channels last, or the vector's length); with ``answers`` each block also shows
its parameters and operations under the spec's conventions. A parallel block puts its
branches side by side and joins them in a ⊕ (add) or a concatenation box; a branch that
only passes its input on (no counts, same shape, no activation) is drawn as a residual arrow
around the others. Labels are LaTeX made here; the template only places them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from answerkey.latex import Tex, escape, shape_tex, tex
from derivations.layers import Count, LayerKind, LayerResult, Windowed
from derivations.layers.dense import Dense
from derivations.network import Analysis, Branch, JoinResult, Node, Parallel
from derivations.shapes import Shape

Style = Literal["flat", "boxes"]

WIDTH = 4.3  # cm: a block's text width
COLUMN = 4.9  # cm between branch columns
ROW = 1.05  # cm between blocks
EMPTY, BOX = Tex(""), Tex("box")
NOTE = 2.6  # cm right of a block for its answers
BYPASS = 0.55  # cm right of the widest column: where residual arrows run


@dataclass(frozen=True)
class Block:
    id: str
    x: float
    y: float
    label: Tex
    fill: Tex
    depth: Tex = EMPTY  # cm: the 3-D offset of a box (empty when flat)
    shape: Tex = BOX
    note: Tex = EMPTY  # the answers, set right of the block

    @property
    def at(self) -> Tex:
        return Tex(f"({self.x:.2f}, {self.y:.2f})")

    @property
    def ref(self) -> Tex:
        return Tex(f"({self.id})")

    @property
    def beside(self) -> Tex:
        """Where the answers go: right of the block (and of its side face)."""
        return Tex(f"([xshift={self.depth or 0}cm+4pt]{self.id}.east)")

    @property
    def faces(self) -> tuple[Tex, ...]:
        """The top and side faces of a 3-D box, as TikZ paths (none when flat)."""
        if not self.depth:
            return ()
        d, n = self.depth, self.id
        shift = f"[shift={{({d},{d})}}]"
        return (
            Tex(f"({n}.north west) -- ++({d},{d}) -- ({shift}{n}.north east) -- ({n}.north east)"),
            Tex(f"({n}.north east) -- ++({d},{d}) -- ({shift}{n}.south east) -- ({n}.south east)"),
        )


def _fill(layer: LayerKind, result: LayerResult) -> Tex:
    """The block's colour by what the layer does (capabilities, never kind names)."""
    if isinstance(layer, Windowed):
        return Tex("as conv" if Count.WEIGHTS in result.counts else "as pool")
    if isinstance(layer, Dense):
        return Tex("as dense")
    return Tex("as other")


def _kind_text(layer: LayerKind, result: LayerResult, sizes: bool) -> str:
    """The layer's kind, its window and its activation. Without ``sizes`` (the question
    sheet) only a window the spec gives is shown (a convolution's or a pool's ``kernel``): a
    global pool's window is its input map's size, which the parts may ask for."""
    kernel = result.kernel if sizes or isinstance(layer, Windowed) else None
    what = layer.title or layer.kind_name
    if kernel is not None:
        what += " " + "×".join(str(k) for k in kernel[:2])
    if layer.applied != "identity" and layer.applied != what:
        what += f", {layer.applied}"
    return what


def _size(shape: Shape) -> Tex:
    return Tex(rf"${shape_tex(shape)}$")


class _Layout:
    def __init__(self, analysis: Analysis, answers: bool, style: Style, sizes: bool) -> None:
        self.analysis = analysis
        self.answers = answers
        self.sizes = sizes
        self.style = style
        self.row = ROW
        self.column = COLUMN + (NOTE if answers else 0.0)
        self.results = {
            id(r.result.layer if isinstance(r.result, LayerResult) else r.result.block): r.result
            for r in analysis.rows
        }
        self.blocks: list[Block] = []
        self.edges: list[Tex] = []
        self.count = 0
        self.forks: dict[str, float] = {}  # a fork's id -> its x
        self.right = WIDTH / 2

    def _id(self) -> str:
        self.count += 1
        return f"b{self.count}"

    def _depth(self, shape: Shape) -> Tex:
        if self.style == "flat" or shape.is_vector or not shape.dims:
            return Tex("")
        size = shape.hwc()[0]
        depth = min(0.45, 0.06 * math.log2(float(size) + 1)) if size.is_number else 0.2
        return Tex(f"{depth:.2f}")

    def layer(self, layer: LayerKind, x: float, y: float) -> str:
        result = self.results[id(layer)]
        assert isinstance(result, LayerResult)
        what = escape(_kind_text(layer, result, self.sizes))
        lines = [rf"\textbf{{{escape(layer.label)}}}\enspace {what}"]
        if self.sizes:
            lines.append(rf"$\to$ {_size(result.out_shape)}")
        note = Tex("")
        if self.answers:
            params, ops = self.analysis.params(result), self.analysis.ops(result)
            conventions = self.analysis.conventions
            terms = conventions.op_terms(result)
            macs_only = all(c is Count.MACS or f.value == 0 for c, f in terms)
            ops_name = ("FLOPs" if conventions.ops == "flop" else "MACs") if macs_only else "ops"
            note = Tex(rf"params ${tex(params)}$\\ {ops_name} ${tex(ops)}$")
        bid = self._id()
        self.blocks.append(
            Block(
                bid,
                x,
                y,
                Tex(r"\\ ".join(lines)),
                _fill(layer, result),
                self._depth(result.out_shape),
                note=note,
            )
        )
        self.right = max(self.right, x + WIDTH / 2 + (NOTE if self.answers else 0.0))
        return bid

    def run(self, nodes: tuple[Node, ...], prev: str, x: float, y: float) -> tuple[str, float]:
        for node in nodes:
            if isinstance(node, Parallel):
                prev, y = self.parallel(node, prev, x, y)
                continue
            y -= self.row
            bid = self.layer(node, x, y)
            # from a fork: across, then down (straight down under it: a corner at the fork's
            # centre is no point of its border)
            across = prev in self.forks and abs(self.forks[prev] - x) > 1e-9
            turn = "-|" if across else "--"
            self.edges.append(Tex(f"({prev}) {turn} ({bid})"))
            prev = bid
        return prev, y

    def _passes(self, branch: Branch) -> bool:
        for layer in branch.layers:
            if isinstance(layer, Parallel):
                return False
            result = self.results[id(layer)]
            assert isinstance(result, LayerResult)
            if result.counts or result.out_shape != result.in_shape or layer.applied != "identity":
                return False
        return True

    def parallel(self, block: Parallel, prev: str, x: float, y: float) -> tuple[str, float]:
        drawn = [b for b in block.branches if not self._passes(b)] or list(block.branches[:1])
        shortcuts = len(block.branches) - len(drawn)
        left = x - (len(drawn) - 1) * self.column / 2
        fork, fork_y = self._id(), y - 0.5
        self.forks[fork] = x
        self.blocks.append(Block(fork, x, fork_y, Tex(""), Tex("as none"), shape=Tex("fork")))
        self.edges.append(Tex(f"[-] ({prev}) -- ({fork})"))  # a line: the fork is no block
        ends: list[tuple[str, float]] = []
        lowest = y
        for i, branch in enumerate(drawn):
            bx = left + i * self.column
            end, by = self.run(branch.layers, fork, bx, y - 0.3)
            ends.append((end, bx))
            lowest = min(lowest, by)
        y = lowest - self.row * 0.8
        join = self.results[id(block)]
        assert isinstance(join, JoinResult)
        jid = self._id()
        if block.join == "add":
            self.blocks.append(Block(jid, x, y, Tex("+"), Tex("as join"), shape=Tex("sum")))
        else:
            label = Tex(rf"\textbf{{{escape(block.name)}}}: concatenation")
            if self.sizes:
                label = Tex(label + r" $\to$ " + _size(join.out_shape))
            self.blocks.append(Block(jid, x, y, label, Tex("as join")))
        for end, bx in ends:  # straight down in the join's column, else down then across
            turn = "--" if end == fork or abs(bx - x) < 1e-9 else "|-"
            self.edges.append(Tex(f"({end}) {turn} ({jid})"))
        for k in range(shortcuts):
            side = self.right + BYPASS * (k + 1)
            self.edges.append(Tex(f"({fork}) -- ({side:.2f}, {fork_y:.2f}) |- ({jid})"))
        return jid, y


def layer_stack(
    analysis: Analysis, answers: bool = False, style: Style = "flat", sizes: bool = True
) -> dict[str, Any]:
    """Block positions, labels and arrows of ``analysis``'s network, top (input) to bottom;
    without ``sizes`` no block shows a computed size (the input's is given), as a question
    sheet draws it. ``height`` is the drawing's extent in cm, input to last block."""
    out = _Layout(analysis, answers, style, sizes)
    net = analysis.network
    label = Tex(rf"\textbf{{input}} {_size(net.input)}")
    out.blocks.append(Block("in", 0.0, 0.0, label, Tex("as input"), out._depth(net.input)))
    _, bottom = out.run(net.layers, "in", 0.0, 0.0)
    return {
        "blocks": out.blocks,
        "edges": out.edges,
        "width": Tex(f"{WIDTH:.2f}"),
        "height": ROW - bottom,
    }
