#!/usr/bin/env bash
# Install the AWS SAM CLI into its own virtualenv (.venvs/sam), apart from the project's .venv:
# its pins (boto3, pydantic, ...) must not decide the project's. Prints the path of `sam`.
#
#   sam="$(tools/sam_venv.sh)" && "$sam" build -t infra/template.yaml
#
# Idempotent: a stamp file named after the pinned version marks a finished install, so running it
# again costs nothing. Change SAM_CLI_VERSION to upgrade; the next run reinstalls.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
export SAM_CLI_TELEMETRY=0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SAM_VENV:-$ROOT/.venvs/sam}"
STAMP="$VENV/.installed-aws-sam-cli-$SAM_CLI_VERSION"

# aws-sam-cli needs Python >= 3.10; prefer the Lambda runtime's own version (3.12). With pyenv,
# make its interpreters visible side by side (python3.12 is then on PATH).
if command -v pyenv >/dev/null 2>&1 && [ -z "${PYENV_VERSION:-}" ]; then
  versions="$(pyenv versions --bare 2>/dev/null | { grep -E '^3\.(11|12|13)\.[0-9]+$' || true; } | paste -sd: -)"
  if [ -n "$versions" ]; then
    export PYENV_VERSION="$versions"
  fi
fi

if [ ! -f "$STAMP" ]; then
  python=""
  for candidate in "${SAM_PYTHON:-}" python3.12 python3.11 python3.13; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      python="$candidate"
      break
    fi
  done
  if [ -z "$python" ]; then
    echo "sam_venv: no python3.12, python3.11 or python3.13 with venv and ensurepip found (set SAM_PYTHON)" >&2
    exit 1
  fi
  echo "sam_venv: installing aws-sam-cli==$SAM_CLI_VERSION into $VENV with $("$python" --version 2>&1)" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q "aws-sam-cli==$SAM_CLI_VERSION" >&2
  "$VENV/bin/sam" --version >&2
  touch "$STAMP"
fi

echo "$VENV/bin/sam"
