"""The ``answerkey`` command line (click: subcommands, help and exit codes for free).

Every command maps :class:`~answerkey.errors.AnswerkeyError` to its exit code and one line on
stderr; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from answerkey import __version__, interrupt, startup
from answerkey.errors import AnswerkeyError, CompileError, SpecWarning

if TYPE_CHECKING:
    from answerkey.characters import Engine

F = TypeVar("F", bound=Callable[..., Any])


def one_line(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe for a terminal: control and format characters (an escape sequence in a
    field name, a line break in a value) shown as ``\\x1b``, ``\\n``; a TeX error keeps its
    two lines."""
    out = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """A spec's warnings as one line each on stderr (``answerkey: warning: file:line:col
    field: ...``); other warnings as Python shows them."""
    if issubclass(category, SpecWarning):
        click.echo(f"answerkey: warning: {one_line(str(message))}", err=True)
    else:
        _python_show(message, category, *args, **kw)


_python_show = warnings.showwarning


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"answerkey: {message}", err=True)
    sys.exit(code)


class Main(click.Group):
    """The command group, with one exit path for every error: one line on stderr (a
    traceback only with ``--debug``), and SIGTERM/SIGINT turned into a clean stop."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        whole = not args and "args" not in kwargs  # the console script, python -m
        with startup.process(whole):
            self._run(*args, **kwargs)

    def _run(self, *args: Any, **kwargs: Any) -> NoReturn:
        argv = kwargs.get("args") or (args[0] if args else None) or sys.argv[1:]
        debug = "--debug" in list(argv)
        kwargs["standalone_mode"] = False
        warnings.simplefilter("once", SpecWarning)  # one line per part, however many variants
        warnings.showwarning = _show_warning
        try:
            with interrupt.handled():
                code = super().main(*args, **kwargs)
        except AnswerkeyError as err:
            if debug:
                raise
            keep = isinstance(err, CompileError)
            _fail(one_line(str(err), keep_newlines=keep), err.exit_code)
        except click.exceptions.NoArgsIsHelpError as err:
            click.echo(err.format_message())
            sys.exit(err.exit_code)
        except click.ClickException as err:
            _fail(one_line(err.format_message()), err.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except RecursionError:
            if debug:
                raise
            _fail("the input is nested too deeply to process", 2)
        sys.exit(code or 0)


SPEC = click.argument("spec", type=click.Path(path_type=Path))


def outdir_option(default: str) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--outdir",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Output directory (default: {default}).",
    )


def no_pdf_option(what: str) -> Callable[[F], F]:
    return click.option("--no-pdf", is_flag=True, help=f"Write {what} only, no PDF.")


FORCE = click.option(
    "--force",
    is_flag=True,
    help=(
        "Write into a folder that holds files answerkey did not write "
        "(beside them: never removing or overwriting one)."
    ),
)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="answerkey")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Turn YAML problem specs into derived, typeset answer keys."""


@main.command()
@SPEC
def derive(spec: Path) -> None:
    """Print every answer of SPEC as JSON (schema: docs/answers-json.md)."""
    with startup.loading():
        from answerkey.derive import derive as derive_key
        from answerkey.jsonout import dumps
        from answerkey.load import load_spec

        loaded = load_spec(spec)
    click.echo(dumps(derive_key(loaded)), nl=False)


STRICT = click.option(
    "--strict",
    is_flag=True,
    help="Exit 3 (writing nothing) if a box overfills the page by more than 1 pt.",
)


def warn(lines: tuple[str, ...]) -> None:
    """Each located warning (an overfull box) on stderr, the generated line under it."""
    for line in lines:
        click.echo(f"answerkey: warning: {one_line(line, keep_newlines=True)}", err=True)


ENGINE = click.option(
    "--engine",
    type=click.Choice(["pdflatex", "lualatex", "xelatex"]),
    default="pdflatex",
    show_default=True,
    help="The TeX engine (lualatex or xelatex for CJK and emoji, with a font that has them).",
)


@main.command()
@SPEC
@outdir_option("build/<spec name>")
@no_pdf_option("the .tex and JSON")
@ENGINE
@STRICT
@click.option(
    "--zip",
    "overleaf",
    is_flag=True,
    help="Also write overleaf.zip: the .tex sources, compiling as uploaded (pdfLaTeX, LuaLaTeX).",
)
@FORCE
def build(
    spec: Path,
    outdir: Path | None,
    no_pdf: bool,
    engine: Engine,
    strict: bool,
    overleaf: bool,
    force: bool,
) -> None:
    """Write the question sheet and answer key (.tex, .pdf) and answers.json for SPEC."""
    from answerkey.build import build as run_build

    result = run_build(
        spec, outdir, pdf=not no_pdf, force=force, strict=strict, engine=engine, overleaf=overleaf
    )
    warn(result.warnings)
    for name in result.files:
        click.echo(result.directory / name)


@main.command()
@SPEC
@click.option(
    "--formats",
    default="tex,pdf,svg,png",
    show_default=True,
    help="Comma-separated: tex, pdf, svg, png.",
)
@click.option(
    "--dpi",
    type=click.IntRange(30, 1200),
    default=300,
    show_default=True,
    help="Resolution of the PNGs.",
)
@click.option("--transparent", is_flag=True, help="PNGs with a transparent background.")
@outdir_option("build/<spec name>/snippets")
@FORCE
def snippets(
    spec: Path, formats: str, dpi: int, transparent: bool, outdir: Path | None, force: bool
) -> None:
    """Write every formula, table and diagram of SPEC's key as a standalone snippet."""
    from answerkey.snippets import write_snippets

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    result = write_snippets(spec, outdir, chosen, dpi, transparent, force)
    click.echo(f"{len(result.snippets)} snippets in {result.directory}")


@main.command()
@SPEC
@outdir_option("build/<spec name>")
@no_pdf_option("slides.tex")
@click.option("--theme", default=None, help="A Beamer theme (Madrid, Boadilla, ...).")
@FORCE
def slides(spec: Path, outdir: Path | None, no_pdf: bool, theme: str | None, force: bool) -> None:
    """Write a Beamer deck of SPEC's worked key: slides.tex and slides.pdf, every frame
    fitted by measuring."""
    from answerkey.slides import write_slides

    for path in write_slides(spec, outdir, pdf=not no_pdf, force=force, theme=theme):
        click.echo(path)


@main.command()
@SPEC
@click.option(
    "-n",
    "--count",
    type=click.IntRange(1, 10000),
    default=None,
    help="How many variants (default: one per roster student, else 1).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Master seed: the same spec and seed give the same variants.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV of students (name,id): one variant each, their names on the sheets.",
)
@outdir_option("build/<spec name>/variants")
@no_pdf_option("the .tex, JSON and manifest")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Parallel LaTeX runs (default: one per core).",
)
@FORCE
def variants(
    spec: Path,
    count: int | None,
    seed: int,
    roster: Path | None,
    outdir: Path | None,
    no_pdf: bool,
    jobs: int | None,
    force: bool,
) -> None:
    """Draw randomized variants of SPEC, each with its sheet, key and answers, a manifest."""
    from answerkey.variants import build_variants

    result = build_variants(spec, count, seed, roster, outdir, not no_pdf, jobs, force)
    click.echo(f"{len(result.variants)} variants in {result.directory}")


@main.command()
@SPEC
@click.option(
    "--answers",
    type=click.Path(path_type=Path),
    default=None,
    help="Students' answers: CSV (student, variant, a column per item) or YAML.",
)
@click.option(
    "--variants",
    "variants_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The folder 'answerkey variants' wrote: mark each student against their variant.",
)
@outdir_option("build/<spec name>/marks")
@no_pdf_option("marks.csv and the HTML feedback")
@click.option("--items", "list_items", is_flag=True, help="List the items answers may name.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="LaTeX runs at once.")
def grade(
    spec: Path,
    answers: Path | None,
    variants_dir: Path | None,
    outdir: Path | None,
    no_pdf: bool,
    list_items: bool,
    jobs: int | None,
) -> None:
    """Mark students' answers to SPEC: marks.csv and a feedback page (HTML, PDF) each."""
    from answerkey.grading.grade import all_items
    from answerkey.grading.grade import grade as run_grade
    from answerkey.grading.report import write_report

    if list_items:
        for item in all_items(spec):
            click.echo(f"{item.id}\t{item.kind}\t{item.points:g}")
        return
    if answers is None:
        raise click.UsageError("--answers FILE is needed (or --items to list the items)")
    marked = run_grade(spec, answers, variants_dir)
    target = write_report(marked, outdir or Path("build") / spec.stem / "marks", not no_pdf, jobs)
    click.echo(f"{len(marked)} students marked: {target / 'marks.csv'}")


def _lms_options(func: F) -> F:
    func = click.option("--no-figures", is_flag=True, help="Leave the figures out (no LaTeX).")(
        func
    )
    func = click.option("-o", "--output", type=click.Path(path_type=Path), default=None)(func)
    func = click.option("--seed", type=int, default=0, show_default=True, help="Master seed.")(func)
    return click.option(
        "-n", "--count", type=click.IntRange(1, 10000), default=1, show_default=True
    )(func)


def _report_export(result: Any) -> None:
    click.echo(result.path)
    if result.left_out:
        click.echo(
            "answerkey: not exported (answered in prose or equations; mark by hand): "
            + ", ".join(result.left_out),
            err=True,
        )


@main.command()
@SPEC
@_lms_options
def moodle(spec: Path, count: int, seed: int, output: Path | None, no_figures: bool) -> None:
    """Write a Moodle XML question bank of SPEC's variants (a category per part)."""
    from answerkey.lms.export import export_moodle

    _report_export(export_moodle(spec, count, seed, output, not no_figures))


@main.command()
@SPEC
@_lms_options
def canvas(spec: Path, count: int, seed: int, output: Path | None, no_figures: bool) -> None:
    """Write a Canvas QTI 1.2 package (zip) of SPEC's variants (a question group per part)."""
    from answerkey.lms.export import export_canvas

    _report_export(export_canvas(spec, count, seed, output, not no_figures))


@main.command()
@SPEC
def check(spec: Path) -> None:
    """Validate SPEC and compare every network with PyTorch built from SPEC's own fields
    (shapes, weights, biases, MACs, counted parameters); exit 5 on a difference."""
    from answerkey.load import load_spec
    from answerkey.referee import check_spec, format_report, verdict

    loaded = load_spec(spec)
    click.echo(f"{spec}: valid ({len(loaded.problems)} problems)")
    rows = check_spec(loaded)
    if rows:
        click.echo(format_report(rows))
    click.echo(verdict(rows))


@main.command()
@SPEC
@click.option("--network", default=None, help="Which network (needed when SPEC has several).")
@click.option("--answers", is_flag=True, help="Show each layer's parameters and operations.")
@click.option(
    "--style",
    type=click.Choice(["flat", "boxes"]),
    default="flat",
    show_default=True,
    help="Flat blocks, or 3-D boxes whose depth grows with the map's height.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The figure: FILE.pdf, FILE.svg or FILE.png.",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def draw(
    spec: Path, network: str | None, answers: bool, style: str, output: Path, force: bool
) -> None:
    """Draw a network of SPEC as a layer stack (TikZ): a block per layer with its kind and
    output size, branches side by side, residual shortcuts as arrows."""
    from answerkey.picture import draw_network

    click.echo(draw_network(spec, network, output, answers, style, force))  # type: ignore[arg-type]


@main.command("import")
@click.argument("target", metavar="MODULE:FACTORY")
@click.option(
    "--input-shape",
    required=True,
    help="The input without the batch, in PyTorch's order: 3,224,224 (C,H,W), 784, 10,64 (T,d).",
)
@click.option("--title", default=None, help="The spec's title (default: FACTORY).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="spec.yaml")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def import_model(
    target: str, input_shape: str, title: str | None, output: Path | None, force: bool
) -> None:
    """Write a spec of the torch.nn.Module that FACTORY() returns (MODULE is a dotted module
    name or a .py file). This RUNS the code of MODULE and FACTORY, as Python: import only
    code you trust. Fails, listing every part, when a module or function has no layer kind."""
    from answerkey.import_cli import import_to_file

    click.echo(import_to_file(target, input_shape, title, output, force), nl=output is not None)


if __name__ == "__main__":  # pragma: no cover
    main()
