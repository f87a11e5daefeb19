"""Spec models of questions: one class per ``kind``, each knowing which derivation answers it.

This table is the registry of question kinds: a new kind is one class here and one function in
:mod:`derivations.views` (or :mod:`derivations.backprop`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, Union

from pydantic import Field

from derivations import backprop, views
from derivations.answers import Answer
from derivations.fields import Strict, Text
from derivations.layers import Dense
from derivations.network import Analysis
from derivations.shapes import ShapeError


@dataclass(frozen=True)
class Context:
    """The analysed networks of one problem, by name; the first is the default."""

    analyses: Mapping[str, Analysis]

    def get(self, name: str | None, field: str = "network") -> Analysis:
        if name is None:
            return next(iter(self.analyses.values()))
        if name not in self.analyses:
            known = ", ".join(self.analyses) or "none"
            raise ShapeError(field, f"no network named {name!r} in this problem (known: {known})")
        return self.analyses[name]


class QuestionSpec(Strict):
    network: Text | None = None

    def derive(self, ctx: Context) -> Answer:  # pragma: no cover - abstract
        raise NotImplementedError


class FeatureSpace(QuestionSpec):
    """The size of the feature space: the number of input values."""

    kind: Literal["feature_space"]

    def derive(self, ctx: Context) -> Answer:
        return views.feature_space(ctx.get(self.network))


class LayerParams(QuestionSpec):
    """The parameters of one layer, with the formula for its kind."""

    kind: Literal["layer_params"]
    layer: Text

    def derive(self, ctx: Context) -> Answer:
        return views.layer_params(ctx.get(self.network), self.layer)


class TotalParams(QuestionSpec):
    """The network's parameters: the sum over its layers."""

    kind: Literal["total_params"]

    def derive(self, ctx: Context) -> Answer:
        return views.total_params(ctx.get(self.network))


class Params(QuestionSpec):
    """Parameters of each listed layer (all layers by default), and their sum."""

    kind: Literal["params"]
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        return views.params(ctx.get(self.network), self.layers)


class Ops(QuestionSpec):
    """Operations of each listed layer (all by default) under the conventions, and their sum."""

    kind: Literal["ops"]
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        return views.ops(ctx.get(self.network), self.layers)


class TotalOps(QuestionSpec):
    kind: Literal["total_ops"]

    def derive(self, ctx: Context) -> Answer:
        return views.total_ops(ctx.get(self.network))


class ShapeTable(QuestionSpec):
    """The Layer | Input size | Kernel size | Output size | Params table. ``bias_columns:
    both`` gives the count without and with biases side by side."""

    kind: Literal["shape_table"]
    bias_columns: Literal["convention", "both"] = "convention"

    def derive(self, ctx: Context) -> Answer:
        return views.shape_table(ctx.get(self.network), self.bias_columns == "both")


class SamePadding(QuestionSpec):
    """The padding that keeps each listed layer's height and width (stride 1)."""

    kind: Literal["same_padding"]
    layers: list[Text] = Field(min_length=1)

    def derive(self, ctx: Context) -> Answer:
        return views.same_padding(ctx.get(self.network), self.layers)


class OutputShapes(QuestionSpec):
    """The output size of each layer and join (or the listed ones), drawn as a module graph."""

    kind: Literal["output_shapes"]
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        return views.output_shapes(ctx.get(self.network), self.layers)


class Compare(QuestionSpec):
    """Parameters and operations of two networks side by side, with the ratio and why."""

    kind: Literal["compare"]
    networks: list[Text] = Field(min_length=2, max_length=2)

    def derive(self, ctx: Context) -> Answer:
        return views.compare(
            ctx.get(self.networks[0], "networks"), ctx.get(self.networks[1], "networks")
        )


class Describe(QuestionSpec):
    """A description of the network's structure, written from the model."""

    kind: Literal["describe"]

    def derive(self, ctx: Context) -> Answer:
        return views.describe(ctx.get(self.network))


def perceptron_of(analysis: Analysis) -> backprop.Perceptron:
    """The perceptron a one-layer dense network on a vector input is."""
    layers = analysis.layers()
    if (
        len(layers) != 1
        or not isinstance(layers[0][1].layer, Dense)
        or not analysis.network.input.is_vector
    ):
        raise ShapeError(
            "network", "a perceptron question needs a network of one linear layer on a vector input"
        )
    _row, res = layers[0]
    n, m = res.in_shape.dims[0], res.out_shape.dims[0]
    if n.free_symbols or m.free_symbols:
        raise ShapeError("network", "the perceptron's sizes must be numbers")
    return backprop.Perceptron(int(n), int(m), res.layer.applied)


class PerceptronEquation(QuestionSpec):
    """a = f(W̃ x̃): the perceptron as one matrix product, the bias folded into W̃."""

    kind: Literal["perceptron_equation"]

    def derive(self, ctx: Context) -> Answer:
        return backprop.perceptron_equation(perceptron_of(ctx.get(self.network)))


class ComputeGraph(QuestionSpec):
    """The perceptron's computational graph, one matmul node, each edge with its size."""

    kind: Literal["compute_graph"]

    def derive(self, ctx: Context) -> Answer:
        return backprop.compute_graph(perceptron_of(ctx.get(self.network)))


class PerceptronBackprop(QuestionSpec):
    """Jacobians of the activation output by inputs, weights and biases; gradient forms."""

    kind: Literal["perceptron_backprop"]
    layout: Literal["numerator", "denominator"] = "numerator"

    def derive(self, ctx: Context) -> Answer:
        return backprop.perceptron_backprop(perceptron_of(ctx.get(self.network)), self.layout)


class NetworkEquation(QuestionSpec):
    """The nested equation of a dense network, with each weight matrix's shape."""

    kind: Literal["network_equation"]

    def derive(self, ctx: Context) -> Answer:
        return backprop.network_equation(ctx.get(self.network))


class NetworkBackprop(QuestionSpec):
    """The backprop recursion of a dense network, with every symbol's shape."""

    kind: Literal["network_backprop"]

    def derive(self, ctx: Context) -> Answer:
        return backprop.network_backprop(ctx.get(self.network))


AnyQuestion = Annotated[
    Union[
        FeatureSpace,
        LayerParams,
        TotalParams,
        Params,
        Ops,
        TotalOps,
        ShapeTable,
        SamePadding,
        OutputShapes,
        Compare,
        Describe,
        PerceptronEquation,
        ComputeGraph,
        PerceptronBackprop,
        NetworkEquation,
        NetworkBackprop,
    ],
    Field(discriminator="kind"),
]
