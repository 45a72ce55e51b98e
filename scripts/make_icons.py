"""Render the app's PNG icons from static/icons/icon.svg with the Chromium used by the tests.

Run once after changing the SVG: `.venv/bin/python scripts/make_icons.py`. Writes
icon-192.png and icon-512.png (the rounded icon, transparent corners) and
icon-maskable-512.png (full-bleed background, the drawing inside the central safe zone).
"""

import pathlib
import re
import shutil

from playwright.sync_api import sync_playwright

ICONS = pathlib.Path(__file__).resolve().parent.parent / "bienveilleurs" / "static" / "icons"
BACKGROUND = "#0b5cad"


def maskable(svg):
    """The same drawing on a square background, shrunk to 80 % (the maskable safe zone)."""
    inner = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
    inner = re.sub(r"<rect[^>]*/>", "", inner, count=1)  # the rounded background
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
            f'<rect width="64" height="64" fill="{BACKGROUND}"/>'
            f'<g transform="translate(6.4 6.4) scale(0.8)">{inner}</g></svg>')


def render(page, svg, size, path):
    page.set_viewport_size({"width": size, "height": size})
    page.set_content(f"<html><body style='margin:0;background:transparent'>"
                     f"<div style='width:{size}px;height:{size}px'>{svg}</div></body></html>")
    page.eval_on_selector(
        "svg", "(s, n) => { s.setAttribute('width', n); s.setAttribute('height', n); }", size)
    page.screenshot(path=str(path), omit_background=True,
                    clip={"x": 0, "y": 0, "width": size, "height": size})


def main():
    svg = (ICONS / "icon.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        render(page, svg, 192, ICONS / "icon-192.png")
        render(page, svg, 512, ICONS / "icon-512.png")
        render(page, maskable(svg), 512, ICONS / "icon-maskable-512.png")
        browser.close()


if __name__ == "__main__":
    main()
