"""Draws the PWA icons in web/public/icons/ (issue #22): the favicon's mark, 营 in white on the
header's red (#b71c1c), as PNGs the manifest and iOS ask for.

    .venv/bin/python web/scripts/make_icons.py      # from the repository root; rewrites the PNGs

Drawn on a <canvas> in Debian's Chromium (/usr/bin/chromium, through the project's Playwright, as
in tests/web) with the system font Noto Sans CJK SC Bold (Debian's fonts-noto-cjk); the glyph's ink
is measured and centred. Run it again after changing the colour, the glyph or the sizes, and commit
the PNGs: the build copies web/public/ as it is.
"""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "public" / "icons"
CHROMIUM = "/usr/bin/chromium"
GLYPH = "营"  # as in public/favicon.svg
FONT = "Noto Sans CJK SC"
RED = "#b71c1c"  # the SPA's header (src/components/AppLayout.vue) and the manifest's theme_color

# file -> (size in px, corner radius and glyph height as fractions of the size)
# - "any" icons: the favicon's rounded square; transparent corners.
# - maskable: full bleed, the glyph well inside the safe zone (the centre circle of 80 % diameter),
#   since the launcher cuts its own shape out of it.
# - apple-touch-icon: full bleed and opaque (iOS rounds the corners itself, and fills transparency
#   with black).
ICONS = {
    "icon-192.png": (192, 0.1875, 0.56),
    "icon-512.png": (512, 0.1875, 0.56),
    "icon-maskable-512.png": (512, 0.0, 0.46),
    "apple-touch-icon.png": (180, 0.0, 0.56),
}

DRAW = """
async ([size, radius, glyphHeight, glyph, font, red]) => {
  const weight = "700";
  const probe = `${weight} 100px "${font}"`;
  await document.fonts.load(probe, glyph);
  if (!document.fonts.check(probe, glyph)) throw new Error(`font ${font} is missing`);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = red;
  ctx.beginPath();
  ctx.roundRect(0, 0, size, size, radius * size);
  ctx.fill();
  // Size the font so that the glyph's ink is glyphHeight of the icon, then centre the ink.
  ctx.font = `${weight} 100px "${font}"`;
  let m = ctx.measureText(glyph);
  const px = (100 * glyphHeight * size) / (m.actualBoundingBoxAscent + m.actualBoundingBoxDescent);
  ctx.font = `${weight} ${px}px "${font}"`;
  m = ctx.measureText(glyph);
  const inkWidth = m.actualBoundingBoxRight + m.actualBoundingBoxLeft;
  const x = size / 2 - inkWidth / 2 + m.actualBoundingBoxLeft;
  const y = size / 2 + (m.actualBoundingBoxAscent - m.actualBoundingBoxDescent) / 2;
  ctx.fillStyle = "#fff";
  ctx.fillText(glyph, x, y);
  return canvas.toDataURL("image/png").split(",")[1];
}
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<!doctype html><meta charset=utf-8><title>icons</title>")
        for name, (size, radius, glyph_height) in ICONS.items():
            data = page.evaluate(DRAW, [size, radius, glyph_height, GLYPH, FONT, RED])
            (OUT / name).write_bytes(base64.b64decode(data))
            print(f"{OUT / name} {size}×{size}")
        browser.close()


if __name__ == "__main__":
    main()
