# Sourced by scripts/run and scripts/test: a virtualenv in .venv with Saiyai and its dev tools.
# Works on a fresh Debian machine as root and on a developer's machine as a normal user.

saiyai_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  # apt-get update once per run, only when something is actually missing.
  if [ -z "${_saiyai_apt_updated:-}" ]; then as_root apt-get update -qq; _saiyai_apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  local python venv="$saiyai_root/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    python="$(pick_python)" || { apt_install python3 python3-venv python3-dev; python="$(pick_python)"; }
    "$python" -m venv "$venv" 2>/dev/null || { apt_install python3-venv; rm -rf "$venv"; "$python" -m venv "$venv"; }
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$venv/.saiyai-installed" want
  want="$(sha256sum "$saiyai_root/pyproject.toml" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$venv/bin/python" -m pip install -q -e "$saiyai_root[dev]"
    echo "$want" > "$stamp"
  fi
  export PATH="$venv/bin:$PATH"
  export VIRTUAL_ENV="$venv"
  ensure_thai_text
}

ensure_thai_text() {
  # The rich-menu pictures (bot/richmenu_images.py) need Thai fonts (fonts-thai-tlwg) and Pillow's text
  # shaping through libraqm, or vowels and tone marks land in the wrong place. Never downloaded at run time.
  if [ ! -f /usr/share/fonts/truetype/tlwg/Loma-Bold.ttf ]; then
    apt_install fonts-thai-tlwg || echo "warning: install the Thai fonts (Debian: fonts-thai-tlwg)" >&2
  fi
  if ! "$saiyai_root/.venv/bin/python" -c 'import sys; from PIL import features; sys.exit(not features.check("raqm"))' 2>/dev/null; then
    apt_install libraqm0 || echo "warning: install libraqm (Debian: libraqm0) for Thai text shaping" >&2
  fi
}
