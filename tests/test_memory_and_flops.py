"""``activation_memory``, ``param_memory`` and ``flops_table`` against PyTorch.

PyTorch measures each independently of the derivations: forward hooks add up the bytes of
every module's output tensor (``numel × element_size``) in the asked dtype; the bytes of the
parameters, and after one real ``torch.optim.Adam`` step the bytes of its state tensors and the
gradients; ``FlopCounterMode`` counts 2 FLOPs per multiply-accumulate.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.network import analyze
from derivations.questions.base import Context
from derivations.questions.flops_table import FlopsTable
from derivations.questions.memory import ActivationMemory, ParamMemory, prefixed

LAYERS = [
    {"name": "c1", "kind": "conv2d", "filters": 8, "kernel": 3, "padding": 1, "activation": "relu"},
    {"name": "p1", "kind": "maxpool2d", "kernel": 2},
    {"name": "c2", "kind": "conv2d", "filters": 16, "kernel": 3, "stride": 2, "bias": True},
    {"name": "fc", "kind": "linear", "units": 10, "bias": True},
]
DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "int8": "int8"}


def context(batch: int | None = None, bias: bool = False, **conventions: Any) -> Context:
    inp: Any = {"map": [32, 32, 3], "batch": batch} if batch else [32, 32, 3]
    net = NetworkSpec.model_validate({"input": inp, "layers": LAYERS}).to_model("n", ())
    return Context({"n": analyze(net, Conventions(bias=bias, **conventions))})


def torch_model(bias_everywhere: bool) -> Any:
    import torch.nn as nn

    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=bias_everywhere),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, stride=2, bias=True),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10, bias=True),
    )


def test_prefixes_are_binary() -> None:
    assert prefixed(sp.Integer(1023))[0] == "1023 bytes"
    assert prefixed(sp.Integer(1536))[0] == "1.50 KiB"
    assert prefixed(sp.Integer(3 * 2**20))[0] == "3.00 MiB"
    assert prefixed(sp.Integer(5 * 2**30 // 2))[0] == "2.50 GiB"


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(("dtype", "batch"), [("fp32", 1), ("fp16", 8), ("bf16", 4), ("int8", 2)])
def test_activation_memory_equals_the_output_tensors(dtype: str, batch: int) -> None:
    import torch

    model = torch_model(False).to(getattr(torch, DTYPES[dtype]) if dtype != "int8" else None)
    kind = getattr(torch, DTYPES[dtype])
    x = torch.zeros(batch, 3, 32, 32, dtype=kind if dtype != "int8" else torch.float32)
    measured = x.numel() * torch.empty((), dtype=kind).element_size()
    sizes: list[int] = []
    for module in model:
        if not isinstance(module, torch.nn.Flatten):  # a view, not a new tensor
            module.register_forward_hook(
                lambda _m, _i, out: sizes.append(
                    out.numel() * torch.empty((), dtype=kind).element_size()
                )
            )
    with torch.no_grad():
        model(x)
    got = ActivationMemory(dtype=dtype, batch=batch).derive(context())
    assert got.value == measured + sum(sizes)
    train = ActivationMemory(dtype=dtype, training=True).derive(context(batch))
    assert train.value == 2 * (measured + sum(sizes))


@pytest.mark.usefixtures("torch_available")
def test_param_memory_and_adam_state_after_one_step() -> None:
    import torch

    model = torch_model(False)
    stored = sum(p.numel() * p.element_size() for p in model.parameters())
    assert ParamMemory().derive(context()).value == stored
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    opt.step()
    state = sum(
        t.numel() * t.element_size()
        for s in opt.state.values()
        for t in s.values()
        if t.dim() > 0  # the step counter is a scalar
    )
    grads = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters())
    assert ParamMemory(optimizer="adam").derive(context()).value == stored + grads + state
    half = ParamMemory(dtype="fp16", optimizer="momentum").derive(context()).value
    assert half == 3 * stored // 2


@pytest.mark.usefixtures("torch_available")
def test_flops_are_twice_the_macs_pytorch_counts() -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = torch_model(True)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 32, 32))
    got = FlopsTable().derive(context(bias=True))
    pool = 8 * 16 * 16 * 4  # window operations, counted under pool_ops: window
    assert got.value == counter.get_total_flops() + pool
    assert got.table is not None and got.table.total is not None
    params = sum(p.numel() for p in model.parameters())
    assert got.table.total[2] == params


def test_bias_adds_and_activations_are_counted_under_the_conventions() -> None:
    plain = FlopsTable().derive(context(bias=True))
    more = FlopsTable().derive(context(bias=True, bias_ops=True, activation_ops=True))
    c1, c2, fc = 32 * 32 * 8, 7 * 7 * 16, 10
    assert more.value - plain.value == (c1 + c2 + fc) + c1  # bias adds, then c1's ReLU
    assert more.table is not None and "also counted: pooling windows" in more.table.notes[0]
    assert "bias additions: one per output value" in more.table.notes[0]
