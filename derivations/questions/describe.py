"""``describe``: the network's structure in prose, written from the model, with its graph."""

from __future__ import annotations

from typing import Literal

from derivations.answers import Answer, module_graph
from derivations.layers import LayerResult, dims_text
from derivations.network import Analysis, Parallel
from derivations.questions._structure import and_list, reductions
from derivations.questions.base import Context, QuestionKind, question_kind

ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]


def _roman(i: int) -> str:
    return ROMAN[i - 1] if i <= len(ROMAN) else str(i)


def _result(analysis: Analysis, layer: object) -> LayerResult:
    return next(r for _, r in analysis.layers() if r.layer is layer)


def _reduction_sentence(analysis: Analysis) -> str | None:
    found = reductions(analysis)
    if found is None:
        return None
    kind = f"{found.title}s"
    text = (
        f"The 1×1 {kind} before the {and_list(found.kernels)} {kind} reduce the depth they "
        "see (dimension reduction)"
    )
    if found.projections:
        text += ", and the 1×1 after the pooling projects its depth"
    text += "; this keeps the module's cost low"
    if len(found.kernels) > 1:
        text += " while it looks at several scales at once"
    return text + "."


@question_kind
class Describe(QuestionKind):
    """A description of the network written from its structure, with its graph."""

    kind: Literal["describe"] = "describe"

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        net = analysis.network
        parts = [f"{net.name[:1].upper()}{net.name[1:]} reads a {dims_text(net.input)} input."]
        for node in net.layers:
            if isinstance(node, Parallel):
                join = analysis.find(node.name)
                parts.append(
                    f"{node.name} runs {len(node.branches)} branches in parallel on the same input:"
                )
                for i, branch in enumerate(node.branches, 1):
                    steps = []
                    for layer in branch.layers:
                        res = _result(analysis, layer)
                        steps.append(res.layer.phrase(res))
                    label = (
                        branch.name
                        if branch.name.startswith("(")
                        else f"({_roman(i)}) {branch.name}"
                    )
                    parts.append(f"{label}: " + ", then ".join(steps) + ";")
                how = "concatenated along depth" if node.join == "concat" else "added element-wise"
                parts.append(f"their outputs are {how}, giving {dims_text(join.out_shape)}.")
            else:
                res = _result(analysis, node)
                parts.append(res.layer.phrase(res).capitalize() + ".")
        sentence = _reduction_sentence(analysis)
        if sentence:
            parts.append(sentence)
        return Answer(
            "describe",
            None,
            "",
            " ".join(parts),
            figure=module_graph(analysis),
            headline=False,
        )
