#!/usr/bin/env bash
# Install what `make test` / `make run` need on a Debian or Ubuntu machine that has only git, make and
# Python >= 3.11, and say what and how much before installing it:
#
#   tools/bootstrap.sh test   Debian packages (fonts, poppler, zbar, chromium, python3-venv if needed),
#                             .venv, the local cloud's .venvs/ministack and the SAM CLI's .venvs/sam
#   tools/bootstrap.sh run    the same without chromium and the SAM CLI
#   tools/bootstrap.sh venv   .venv only
#
# Debian packages come through apt-get, as root or through sudo; without either it stops and prints the
# command to run. Idempotent and quick when everything is there: it only checks files and stamps.
# A half-made virtualenv (e.g. `.venv` created without pip, when python3-venv was missing) is
# detected and made again. Anything that cannot be had is an error: the tests never skip for it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PURPOSE="${1:-test}"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
# The Makefile's stamp: the same name, so `make` and this script agree on what is installed.
STAMP="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"

# Rough sizes on disk, measured on Debian bookworm (x86_64), for the notice below.
SIZE_VENV_MB=420
SIZE_MINISTACK_MB=130
SIZE_SAM_MB=340

say() { echo "bootstrap: $*" >&2; }
die() { echo "bootstrap: $*" >&2; exit 1; }

case "$PURPOSE" in test | run | venv) ;; *) die "usage: tools/bootstrap.sh test|run|venv" ;; esac

command -v "$PYTHON" >/dev/null || die "no $PYTHON on PATH: esurety needs Python >= 3.11 (set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$PYTHON is $("$PYTHON" --version 2>&1); esurety needs Python >= 3.11 (set PYTHON=...)"
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# --- what is missing -------------------------------------------------------------------------------

# A Python that can make a virtualenv with pip in it. Debian's python3 has the venv module but
# without python3-venv its ensurepip has no wheels, and `python -m venv` leaves a venv without pip.
python_can_make_venvs() {
  "$PYTHON" - <<'EOF' >/dev/null 2>&1
import ensurepip, venv
from pathlib import Path
bundled = Path(ensurepip.__file__).parent / "_bundled"
wheels = list(bundled.glob("pip-*.whl")) if bundled.is_dir() else []
debian = Path("/usr/share/python-wheels")
raise SystemExit(0 if wheels or list(debian.glob("pip-*.whl")) else 1)
EOF
}

fonts_present() {
  if [ -n "${ESURETY_FONT_DIR:-}" ]; then
    [ -f "$ESURETY_FONT_DIR/ipaexg.ttf" ] && [ -f "$ESURETY_FONT_DIR/ipaexm.ttf" ]
  else
    [ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] && [ -f /usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf ]
  fi
}

chromium_present() { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }

packages=()
if [ "$PURPOSE" != venv ]; then
  fonts_present || packages+=(fonts-ipaexfont)
fi
if [ "$PURPOSE" = test ]; then
  { command -v pdffonts && command -v pdftoppm && command -v pdfsig; } >/dev/null || packages+=(poppler-utils)
  command -v zbarimg >/dev/null || packages+=(zbar-tools)
  chromium_present || packages+=(chromium)
  # `sam build` runs the layer's Makefile, whose pip is the system python3's.
  python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
fi
[ -f "$STAMP" ] || python_can_make_venvs || packages+=("python$PYVER-venv")

need_venv=0
[ -f "$STAMP" ] && [ -x "$VENV/bin/python" ] || need_venv=1
need_ministack=0 need_sam=0
if [ "$PURPOSE" != venv ]; then
  [ -f "$ROOT/.venvs/ministack/.installed" ] || need_ministack=1
  if [ "$PURPOSE" = test ]; then
    compgen -G "$ROOT/.venvs/sam/.installed-aws-sam-cli-*" >/dev/null || need_sam=1
  fi
fi

if [ ${#packages[@]} -eq 0 ] && [ $need_venv = 0 ] && [ $need_ministack = 0 ] && [ $need_sam = 0 ]; then
  # The local cloud's pins live in cloud.py: check them again only when it changed.
  if [ "$PURPOSE" != venv ] && [ tools/localcloud/cloud.py -nt "$ROOT/.venvs/ministack/.installed" ]; then
    "$VENV/bin/python" -m tools.localcloud setup
  fi
  exit 0
fi

# --- Debian packages -------------------------------------------------------------------------------

if [ ${#packages[@]} -gt 0 ]; then
  command -v apt-get >/dev/null ||
    die "missing ${packages[*]} and no apt-get here: install them with your package manager"
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    die "missing Debian packages; as root run: apt-get update && apt-get install --no-install-recommends ${packages[*]}"
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "Debian packages to install with apt-get: ${packages[*]} (updating the package lists first)"
  "${as_root[@]}" apt-get update -qq
  # The Ubuntu name of chromium's package, and python3-venv where the versioned one is absent.
  resolved=()
  for package in "${packages[@]}"; do
    if ! apt-cache show "$package" >/dev/null 2>&1; then
      case "$package" in
        chromium) package=chromium-browser ;;
        python*-venv) package=python3-venv ;;
      esac
    fi
    apt-cache show "$package" >/dev/null 2>&1 || die "apt-get has no package $package: install it by hand, then run make again"
    resolved+=("$package")
  done
  # apt's own figures: "Need to get N MB of archives. After this operation, M MB of additional disk space will be used."
  sizes="$("${as_root[@]}" apt-get install --no-install-recommends --assume-no "${resolved[@]}" 2>/dev/null | grep -E '^(Need to get|After this operation)' || true)"
  say "installing ${resolved[*]} and their dependencies: ${sizes//$'\n'/ }"
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${resolved[@]}" >/dev/null
  fonts_present || [ "$PURPOSE" = venv ] || die "fonts-ipaexfont installed but its fonts are not where expected"
fi

# --- virtualenvs -----------------------------------------------------------------------------------

announced=()
[ $need_venv = 1 ] && announced+=(".venv (esurety[dev] from PyPI, about $SIZE_VENV_MB MB)")
[ $need_ministack = 1 ] && announced+=(".venvs/ministack (the local cloud, about $SIZE_MINISTACK_MB MB)")
[ $need_sam = 1 ] && announced+=(".venvs/sam (AWS SAM CLI, about $SIZE_SAM_MB MB)")
[ ${#announced[@]} -gt 0 ] && say "virtualenvs to install: $(IFS=';'; echo "${announced[*]}" | sed 's/;/; /g')"

if [ $need_venv = 1 ]; then
  if [ -e "$VENV" ] && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    say "$VENV is half-made (no working pip): making it again"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || { rm -rf "$VENV"; die "$PYTHON -m venv failed (on Debian: apt-get install python3-venv)"; }
  fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
  rm -f "$VENV"/.installed-* && touch "$STAMP"
  say ".venv ready ($(du -sm "$VENV" | cut -f1) MB)"
fi

[ "$PURPOSE" = venv ] && exit 0
"$VENV/bin/python" -m tools.localcloud setup
if [ "$PURPOSE" = test ] && [ $need_sam = 1 ]; then
  tools/sam_venv.sh >/dev/null
  say ".venvs/sam ready ($(du -sm .venvs/sam | cut -f1) MB)"
fi
