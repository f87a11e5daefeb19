#!/usr/bin/env bash
# answerkey's tasks. `bash tasks.sh key` builds the Homework 3 answer key PDF;
# `bash tasks.sh test` runs the tests. Both install what they need first (idempotent).
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra
              texlive-pictures texlive-science texlive-fonts-recommended lmodern poppler-utils)
PY=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

setup_tex() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing TeX Live and poppler: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

setup_python() {
  echo "== installing answerkey and its test tools"
  "$PY" -m pip install -q --disable-pip-version-check -e '.[test]'
  if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "== installing PyTorch (CPU)"
    "$PY" -m pip install -q --disable-pip-version-check torch==2.13.0
  fi
}

case "${1:-}" in
  setup) setup_tex; setup_python ;;
  key)   setup_tex; setup_python; answerkey build specs/homework3.yaml ;;
  test)  setup_tex; setup_python
         "$PY" -m ruff check answerkey derivations tests bench
         "$PY" -m mypy
         "$PY" -m pytest -q ;;
  *) echo "usage: bash tasks.sh {key|test|setup}" >&2; exit 2 ;;
esac
