"""Draws media/icon.png, the extension's 128x128 marketplace icon.

Three rotary "hands" on concentric rings, each shorter ring turning slower: the picture
of RoPE pairs at decreasing frequencies. Drawn at 4x and downsampled for smooth edges.
Run with Debian's Python (it has Pillow): /usr/bin/python3 scripts/make-icon.py
"""

import math
import pathlib

from PIL import Image, ImageDraw

SIZE, SCALE = 128, 4
OUT = pathlib.Path(__file__).resolve().parent.parent / "media" / "icon.png"


def main():
    s = SCALE
    image = Image.new("RGBA", (SIZE * s, SIZE * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4 * s, 4 * s, 124 * s, 124 * s), radius=24 * s, fill="#1f2a44")
    centre = 64 * s
    for radius in (46, 32, 18):
        r = radius * s
        draw.ellipse((centre - r, centre - r, centre + r, centre + r), outline="#3b4f7a", width=4 * s)
    for radius, degrees, colour in ((46, -45, "#f5b942"), (32, 15, "#5ad1c9"), (18, 118, "#e86f8a")):
        end = (centre + radius * s * math.cos(math.radians(degrees)),
               centre + radius * s * math.sin(math.radians(degrees)))
        draw.line((centre, centre, *end), fill=colour, width=6 * s)
        draw.ellipse((end[0] - 3 * s, end[1] - 3 * s, end[0] + 3 * s, end[1] + 3 * s), fill=colour)
    draw.ellipse((centre - 6 * s, centre - 6 * s, centre + 6 * s, centre + 6 * s), fill="#ffffff")
    image.resize((SIZE, SIZE), Image.LANCZOS).save(OUT, optimize=True)


if __name__ == "__main__":
    main()
