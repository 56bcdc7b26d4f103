#!/usr/bin/env bash
# Copies the npm-installed map libraries into the Django static folder, so the map never loads from a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=platform/webmap/static/vendor
rm -rf "$dest"
mkdir -p "$dest/leaflet" "$dest/leaflet.vectorgrid"
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images "$dest/leaflet/"
cp node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js "$dest/leaflet.vectorgrid/"
