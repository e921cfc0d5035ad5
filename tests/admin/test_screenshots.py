"""The docs screenshots keep the spaces between styled runs when turned into PNG."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from .screenshots import OUT, preserve_spaces

# Two runs as Rich writes them: each at its own x, the second padded with U+00A0.
_TWO_RUNS = """<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40">
<rect width="240" height="40" fill="#ffffff"/>
<text x="0" y="28" font-family="monospace" font-size="20" fill="#000000">ab</text>
<text x="24" y="28" font-family="monospace" font-size="20" fill="#000000">\
&#160;&#160;&#160;cd</text>
</svg>"""


def _first_ink_column(png: Path, from_x: int) -> int:
    image = Image.open(png).convert("L")
    for x in range(from_x, image.width):
        if any(image.getpixel((x, y)) < 128 for y in range(image.height)):
            return x
    raise AssertionError("no ink")


def test_preserve_spaces_marks_the_root_once() -> None:
    marked = preserve_spaces(_TWO_RUNS)
    assert marked.startswith('<svg xml:space="preserve" xmlns=')
    assert preserve_spaces(marked) == marked


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs librsvg2-bin")
def test_padding_before_a_run_survives_rsvg(tmp_path: Path) -> None:
    svg = tmp_path / "two-runs.svg"
    svg.write_text(preserve_spaces(_TWO_RUNS), encoding="utf-8")
    png = tmp_path / "two-runs.png"
    subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
    # "ab" ends near x=24; three padding cells (about 12 px each) come before "cd".
    assert _first_ink_column(png, from_x=26) >= 24 + 2 * 12


@pytest.mark.parametrize("svg", sorted(OUT.glob("admin-*.svg")), ids=lambda p: p.name)
def test_docs_screenshots_are_marked(svg: Path) -> None:
    assert 'xml:space="preserve"' in svg.read_text(encoding="utf-8")[:400]
