"""``describe``: the network's structure in prose, written from the model, with its graph.

Every clause comes from the analysed structure: the join is named by what it does
(concatenated along depth, added element-wise), a block whose addition has a shortcut branch
is described as residual, reductions and projections are named only where the branches have
them, and each layer's activation is the one its spec names.
"""

from __future__ import annotations

from typing import Literal

from derivations.activations import activation
from derivations.answers import Answer, module_graph, roman
from derivations.layers import LayerResult, dims_text
from derivations.network import Analysis, Branch, Parallel
from derivations.questions._structure import (
    and_list,
    is_residual,
    is_shortcut,
    reductions,
    sentence,
    whole,
)
from derivations.questions.base import Context, QuestionKind, question_kind


def _result(analysis: Analysis, layer: object) -> LayerResult:
    return next(r for _, r in analysis.layers() if r.layer is layer)


def _phrase(res: LayerResult) -> str:
    """The layer's own phrase, with the activation its spec gives it."""
    text = res.layer.phrase(res)
    if res.layer.activation != "identity":
        text += f", then {activation(res.layer.activation).spoken}"
    return text


def _reduction_sentence(analysis: Analysis) -> str | None:
    found = reductions(analysis)
    if found is None:
        return None
    kind = found.title
    many = found.count > 1
    windows = and_list(found.kernels)
    text = (
        f"The 1×1 {kind}{'s' if many else ''} before the {windows} "
        f"{kind}{'s' if len(found.kernels) > 1 or many else ''} "
        f"{'reduce' if many else 'reduces'} the depth {'they see' if many else 'it sees'} "
        "(dimension reduction)"
    )
    if found.expansions:
        text += (
            ", and the 1×1 after the larger window restores the depth"
            if found.expansions == 1
            else ", and the 1×1s after the larger windows restore the depth"
        )
    if found.projections:
        text += ", and the 1×1 after the pooling projects its depth"
    text += f"; this keeps the {whole(analysis)}'s cost low"
    concat = any(n.join == "concat" for n in analysis.network.layers if isinstance(n, Parallel))
    if len(found.kernels) > 1 and concat:
        text += " while it looks at several scales at once"
    return text + "."


def _branch(analysis: Analysis, branch: Branch, i: int) -> str:
    label = branch.name if branch.name.startswith("(") else f"({roman(i)}) {branch.name}"
    if is_shortcut(analysis, branch):
        said = "shortcut" in branch.name.lower()
        return f"{label}: the input, unchanged{'' if said else ' (the shortcut)'};"
    steps = [_phrase(_result(analysis, layer)) for layer in branch.layers]
    return f"{label}: " + ", then ".join(steps) + ";"


def _block(analysis: Analysis, node: Parallel) -> list[str]:
    """The sentences of one parallel block: its branches and what its join does."""
    out = analysis.find(node.name).out_shape
    residual = is_residual(analysis, node)
    if residual:
        intro = f"{node.name} is a residual block with {len(node.branches)} branches:"
    else:
        intro = f"{node.name} runs {len(node.branches)} branches in parallel on the same input:"
    parts = [intro, *(_branch(analysis, b, i) for i, b in enumerate(node.branches, 1))]
    if residual:
        join = (
            "the residual branches' outputs are added element-wise to the input the shortcut "
            "carries (a residual connection)"
        )
    elif node.join == "concat":
        join = "their outputs are concatenated along depth"
    else:
        join = "their outputs are added element-wise"
    parts.append(f"{join}, giving {dims_text(out)}.")
    return parts


@question_kind
class Describe(QuestionKind):
    """A description of the network written from its structure, with its graph."""

    kind: Literal["describe"] = "describe"

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        net = analysis.network
        parts = [sentence(f"{net.name} reads a {dims_text(net.input)} input.")]
        for node in net.layers:
            if isinstance(node, Parallel):
                parts += _block(analysis, node)
            else:
                parts.append(sentence(_phrase(_result(analysis, node))) + ".")
        found = _reduction_sentence(analysis)
        if found:
            parts.append(found)
        return Answer(
            "describe",
            None,
            "",
            " ".join(parts),
            figure=module_graph(analysis),
            headline=False,
        )
