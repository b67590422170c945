#!/usr/bin/env bash
# Raster previews of the demo product drawings, for social cards: Facebook, WhatsApp and X do not
# show SVG og:images. Needs Debian's librsvg2-bin and pngquant; the PNGs are committed.
set -euo pipefail
cd "$(dirname "$0")/../../static/products"
mkdir -p preview
for svg in *.svg; do
  png="preview/${svg%.svg}.png"
  rsvg-convert -w 600 -h 600 "$svg" -o "$png"
  pngquant --force --skip-if-larger --strip --output "$png" 32 "$png"
done
