"""``answerkey import MODULE:FACTORY``: load the user's model (running their code, which is the
point of the command), import it (:mod:`answerkey.importer`), write the spec safely."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

from answerkey.errors import OutputError, ToolMissing, UsageError

TORCH_HINT = "PyTorch is not installed (answerkey import reads torch.nn modules): pip install torch"


def parse_shape(text: str) -> tuple[int, ...]:
    """``3,224,224`` (or ``3x224x224``) as a tuple of 1 to 4 positive sizes; UsageError
    naming the first part that is not a size (``3,x,32``: ``x``) otherwise."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        parts = [p.strip() for p in re.split("[x\u00d7]", parts[0])]
    for part in parts:
        if not (part.isascii() and part.isdigit() and int(part) > 0):
            what = f"{part!r} is not a size" if part else "a size is empty"
            raise UsageError(
                f"--input-shape {text!r}: {what} (give 1 to 4 positive whole numbers, "
                "e.g. 3,224,224)"
            )
    if len(parts) > 4:
        raise UsageError(f"--input-shape {text!r}: {len(parts)} sizes, at most 4 (e.g. 3,224,224)")
    return tuple(int(p) for p in parts)


def _raised(err: BaseException) -> str:
    """``RuntimeError: x``: what the user's code raised, its message's first line."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:160]}" if lines else type(err).__name__


def load_factory(target: str) -> Any:
    """The model ``FACTORY()`` returns; MODULE is a dotted name (found from the current
    folder too) or a path to a ``.py`` file. Runs the user's code."""
    module_name, sep, factory = target.rpartition(":")
    if not sep or not module_name or not factory.isidentifier():
        raise UsageError(f"{target!r}: write MODULE:FACTORY, e.g. mymodels:lenet5")
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise UsageError(f"{module_name}: no such file")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # the user's code may raise anything
            raise UsageError(f"{module_name}: importing it raised {_raised(err)}") from err
    else:
        sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            raise UsageError(f"{module_name}: cannot import it ({err})") from None
        except Exception as err:  # the user's code may raise anything
            raise UsageError(f"{module_name}: importing it raised {_raised(err)}") from err
        finally:
            sys.path.pop(0)
    if not callable(getattr(module, factory, None)):
        raise UsageError(f"{module_name} has no callable {factory}")
    try:
        return getattr(module, factory)()
    except Exception as err:  # the user's code may raise anything
        raise UsageError(f"{target}: the factory raised {_raised(err)}") from err


def import_to_file(
    target: str, input_shape: str, title: str | None, output: Path | None, force: bool
) -> str:
    """The spec's text (when ``output`` is None) or the path written. An existing ``output``
    is replaced only with ``force``; the file appears whole (written aside, then renamed)."""
    shape = parse_shape(input_shape)
    if output is not None and output.exists() and not force:
        raise OutputError(f"{output} exists: pass --force to replace it")
    try:
        import torch
    except ImportError:
        raise ToolMissing(TORCH_HINT) from None
    from answerkey import from_torch

    model = load_factory(target)
    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"{target} returned a {type(model).__name__}, not a torch.nn.Module")
    text = from_torch(model, shape, title or target.rpartition(":")[2])
    if output is None:
        return text
    staged = output.with_name(f".{output.name}.part")
    try:
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, output)
    except OSError as err:
        staged.unlink(missing_ok=True)
        raise OutputError(f"{output}: {err.strerror}") from None
    return str(output)
