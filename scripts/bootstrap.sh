#!/usr/bin/env bash
# Installs what gridcity needs on a Debian machine, idempotently and quickly on a second run:
#   1. Debian packages: PostgreSQL 15 + PostGIS 3, GDAL (GeoDjango, ogr2ogr/ogrinfo), Node.js/npm
#      for the vendored map assets, Debian's chromium and a CJK font for the browser tests.
#   2. A virtual environment in .venv with the project and its Python dependencies.
#   3. The front-end assets from npm, copied into platform/webmap/static/vendor (never a CDN).
# Each step is skipped when its stamp in .gridcity/ matches its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE="$ROOT/.gridcity"
mkdir -p "$STATE"

PG_MAJOR=${GRIDCITY_PG_MAJOR:-15}
APT_PACKAGES=(
  "postgresql-$PG_MAJOR" "postgresql-$PG_MAJOR-postgis-3" "postgresql-contrib"
  gdal-bin libgdal-dev libgeos-dev libproj-dev
  chromium chromium-driver fonts-wqy-microhei
  nginx  # to check deploy/nginx.conf with `nginx -t` in the tests (the platform never uses its service)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js may come from elsewhere (e.g. NodeSource, which bundles npm): only install it when absent.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo -n); else
    echo "bootstrap: missing packages and no root: run  apt-get install ${missing[*]}  as root" >&2; exit 1
  fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
py_stamp=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$STATE/python.stamp" 2>/dev/null)" != "$py_stamp" ]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  echo "$py_stamp" > "$STATE/python.stamp"
fi

js_stamp=$(cat package.json package-lock.json scripts/vendor_assets.sh | sha256sum | cut -c1-16)
if [ "$(cat "$STATE/assets.stamp" 2>/dev/null)" != "$js_stamp" ] || [ ! -d platform/webmap/static/vendor ]; then
  echo "bootstrap: installing map assets from npm"
  npm ci --no-audit --no-fund --loglevel=error
  bash scripts/vendor_assets.sh
  echo "$js_stamp" > "$STATE/assets.stamp"
fi
