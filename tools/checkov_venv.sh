#!/usr/bin/env bash
# Install checkov (static analysis of the template) into its own virtualenv (.venvs/checkov),
# apart from the project's .venv: its pins (boto3, pydantic, networkx, ...) clash with ours.
# Prints the path of `checkov`.
#
#   checkov="$(tools/checkov_venv.sh)" && "$checkov" -f infra/template.yaml --framework cloudformation
#
# Idempotent: a stamp file named after the pinned version marks a finished install. Change
# CHECKOV_VERSION to upgrade; the next run reinstalls. Progress goes to stderr; stdout carries only the path.
set -euo pipefail

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CHECKOV_VENV:-$ROOT/.venvs/checkov}"
STAMP="$VENV/.installed-checkov-$CHECKOV_VERSION"

if command -v pyenv >/dev/null 2>&1 && [ -z "${PYENV_VERSION:-}" ]; then
  versions="$(pyenv versions --bare 2>/dev/null | { grep -E '^3\.(11|12|13)\.[0-9]+$' || true; } | paste -sd: -)"
  if [ -n "$versions" ]; then
    export PYENV_VERSION="$versions"
  fi
fi

# A virtualenv moved from elsewhere keeps its stamp, but its scripts start from the old path's
# interpreter: reinstall when the interpreter `checkov`'s first line names is not there.
shebang="$(head -n 1 "$VENV/bin/checkov" 2>/dev/null || true)"
if [ -f "$STAMP" ] && [ ! -x "${shebang#\#!}" ]; then
  echo "checkov_venv: $VENV/bin/checkov starts from a missing interpreter (${shebang#\#!}); reinstalling" >&2
  rm -f "$STAMP"
fi

if [ ! -f "$STAMP" ]; then
  python=""
  for candidate in "${CHECKOV_PYTHON:-}" python3.12 python3.11 python3.13; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      python="$candidate"
      break
    fi
  done
  if [ -z "$python" ]; then
    echo "checkov_venv: no python3.12, python3.11 or python3.13 with venv and ensurepip found (set CHECKOV_PYTHON)" >&2
    exit 1
  fi
  echo "checkov_venv: installing checkov==$CHECKOV_VERSION into $VENV with $("$python" --version 2>&1)" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q "checkov==$CHECKOV_VERSION" >&2
  "$VENV/bin/checkov" --version >&2
  touch "$STAMP"
fi

echo "$VENV/bin/checkov"
