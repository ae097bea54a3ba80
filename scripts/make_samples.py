#!/usr/bin/env python3
"""Render the committed sample documents from tests/render.py's KOREAN_SAMPLE / ENGLISH_SAMPLE.

    python scripts/make_samples.py            (re)write tests/data/korean_invoice.png, english_invoice.png
    python scripts/make_samples.py --check    exit 1 if the committed files differ from a fresh render

A4-like 1240x1754 white pages (150 dpi), one line per entry: Korean in NanumGothic 30 px, English in
DejaVu Sans 28 px (Debian fonts-nanum, fonts-dejavu-core). The text of each is exactly the sample list,
lines joined by newlines, which is what the tests compare against.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, render_lines  # noqa: E402

DATA = REPO_ROOT / "tests" / "data"
SAMPLES = {
    "korean_invoice.png": (KOREAN_SAMPLE, "nanum", 30),
    "english_invoice.png": (ENGLISH_SAMPLE, "dejavu", 28),
}


def render(name: str) -> Image.Image:
    lines, font, size = SAMPLES[name]
    img, _ = render_lines(lines, font_name=font, size=size)
    return img.convert("L")  # black text on white: grayscale keeps the PNG small


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare pixels with the committed files")
    args = ap.parse_args(argv)
    status = 0
    for name in SAMPLES:
        path = DATA / name
        img = render(name)
        if args.check:
            if not path.is_file():
                print(f"missing {path}", file=sys.stderr)
                status = 1
            elif Image.open(path).convert("L").tobytes() != img.tobytes():
                print(f"{path} differs from a fresh render (fonts changed?)", file=sys.stderr)
                status = 1
            continue
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(img))
        print(f"wrote {path.relative_to(REPO_ROOT)} ({path.stat().st_size} bytes)")
    return status


if __name__ == "__main__":
    sys.exit(main())
