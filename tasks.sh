#!/usr/bin/env bash
# answerkey's tasks. `bash tasks.sh key` builds the Homework 3 answer key PDF;
# `bash tasks.sh test` runs the tests. Both work as an ordinary user: Python packages go into a
# virtual environment (.venv here, or the one that is active), pinned by constraints.txt.
# TeX is checked, and installed with apt only where that is possible (root, or sudo without a
# password); otherwise the message says how to get it (TeX Live's tlmgr, MacTeX, MiKTeX).
#   setup        install only (answerkey and its test tools, PyTorch)
#   test-latest  the tests in a new environment with the newest versions pyproject.toml allows
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
VENV=${ANSWERKEY_VENV:-.venv}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

# What a key, the slides and the snippets need from TeX (files kpsewhich must find), and
# where to get them: Debian packages, or TeX Live packages for tlmgr.
TEX_FILES=(pdflatex exam.cls beamer.cls standalone.cls amsmath.sty amssymb.sty siunitx.sty
           geometry.sty booktabs.sty longtable.sty tikz.sty adjustbox.sty xcolor.sty lmodern.sty
           newunicodechar.sty tabularx.sty iftex.sty fontspec.sty luaotfload-main.lua)
APT_PACKAGES=(texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures
              texlive-science texlive-fonts-recommended lmodern poppler-utils
              texlive-luatex texlive-xetex fonts-wqy-microhei fonts-symbola)
# texlive-luatex and texlive-xetex: --engine lualatex/xelatex and the Overleaf zip's check;
# fonts-wqy-microhei and fonts-symbola: the fallback fonts for CJK text and emoji.
TLMGR_PACKAGES="exam beamer standalone amsmath amsfonts siunitx geometry booktabs tools pgf
adjustbox collectbox xcolor lm etoolbox translator xkeyval currfile filemod gincltex
newunicodechar iftex fontspec luaotfload xetex"

missing_tex() {
  local out=()
  command -v pdflatex >/dev/null || out+=(pdflatex)
  command -v pdftocairo >/dev/null || out+=(pdftocairo)
  command -v pdftotext >/dev/null || out+=(pdftotext)
  command -v lualatex >/dev/null || out+=(lualatex)
  command -v xelatex >/dev/null || out+=(xelatex)
  if command -v fc-list >/dev/null; then
    [ -n "$(fc-list ':charset=4e2d' family)" ] || out+=("a CJK font")
    [ -n "$(fc-list ':charset=1f600' family)" ] || out+=("an emoji font")
  fi
  if command -v kpsewhich >/dev/null; then
    for f in "${TEX_FILES[@]:1}"; do kpsewhich "$f" >/dev/null || out+=("$f"); done
  fi
  echo "${out[*]}"
}

can_apt() {
  command -v apt-get >/dev/null || return 1
  [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

setup_tex() {
  local missing
  missing=$(missing_tex)
  [ -z "$missing" ] && return 0
  if can_apt; then
    echo "== installing TeX Live and poppler (missing: $missing)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      "${APT_PACKAGES[@]}" >/dev/null
    missing=$(missing_tex)
    [ -z "$missing" ] && return 0
  fi
  cat >&2 <<EOF
answerkey: missing: $missing
  TeX Live (any system, no root needed with a user installation from tug.org/texlive):
    tlmgr install $(echo $TLMGR_PACKAGES)
  macOS: MacTeX (tug.org/mactex) has all of it; poppler: brew install poppler
  Windows: MiKTeX (miktex.org) installs packages on first use; poppler: conda install poppler
  Debian/Ubuntu, as root: apt-get install ${APT_PACKAGES[*]}
EOF
  exit 4
}

use_venv() {
  if [ -n "${VIRTUAL_ENV:-}" ]; then
    PY=python
  else
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    PY="$VENV/bin/python"
  fi
}

setup_python() {  # $1: the extras to install, e.g. "[test,check]"
  use_venv
  echo "== installing answerkey$1 into $("$PY" -c 'import sys; print(sys.prefix)')"
  "$PY" -m pip install -q -c constraints.txt -e ".$1"
}

run_tests() {
  "$PY" -m ruff check answerkey derivations tests bench
  "$PY" -m mypy
  "$PY" -m pytest -q -n auto
}

case "${1:-}" in
  setup) setup_tex; setup_python "[test,check]" ;;
  key)   setup_tex; setup_python ""; "$PY" -m answerkey.cli build specs/homework3.yaml ;;
  test)  setup_tex; setup_python "[test,check]"; run_tests ;;
  test-latest)
         setup_tex
         rm -rf .venv-latest
         "$PY" -m venv .venv-latest
         PY=.venv-latest/bin/python
         # PyTorch stays the CPU build (a newer torch is a multi-gigabyte CUDA download here);
         # everything else is the newest release pyproject.toml allows.
         "$PY" -m pip install -q torch==2.13.0
         "$PY" -m pip install -q --upgrade -e ".[test,check]"
         "$PY" -m pip freeze --exclude-editable | tr '\n' ' ' && echo
         "$PY" -m pytest -q -n auto -p no:cacheprovider ;;
  *) echo "usage: bash tasks.sh {key|test|setup|test-latest}" >&2; exit 2 ;;
esac
