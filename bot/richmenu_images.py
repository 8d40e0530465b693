"""The pictures of the rich menus, drawn from the same pages (and so the same catalogue text) LINE gets.

Thai needs a font with Thai glyphs and a shaper that places vowels and tone marks (`ผู้`, `ข้อ`): the
fonts come from Debian's fonts-thai-tlwg and the shaping from libraqm, both installed by scripts/setup.sh
(never downloaded at run time). Pillow's basic layout would draw the marks floating or over each other.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from handlers.menus import Area, MenuRole, Page

MAX_BYTES = 1024 * 1024  # LINE refuses a rich-menu image of more than 1 MB
FONT_DIRS = (Path("/usr/share/fonts/truetype/tlwg"), Path("/usr/share/fonts/opentype/tlwg"))
BOLD, REGULAR = "Loma-Bold.ttf", "Loma.ttf"
GAP = 16
RADIUS = 36

# Background, tile, tile text, hint text, current tab: one calm colour per role, high contrast for old eyes.
COLOURS: dict[MenuRole, dict[str, str]] = {
    MenuRole.STRANGER: {"back": "#0b6e4f", "tile": "#ffffff", "text": "#0b3d2c", "hint": "#4f6b61", "tab": "#0b6e4f"},
    MenuRole.MEMBER: {"back": "#1b5e9a", "tile": "#ffffff", "text": "#123a5f", "hint": "#55708a", "tab": "#1b5e9a"},
    MenuRole.LEADER: {"back": "#8a4b0f", "tile": "#fffaf2", "text": "#5a300a", "hint": "#8a6a4a", "tab": "#c9711f"},
    MenuRole.CHAIR: {"back": "#6a2c70", "tile": "#fdf7fe", "text": "#45194a", "hint": "#7d5d80", "tab": "#9b4aa3"},
    MenuRole.STAFF: {"back": "#37474f", "tile": "#fbfcfc", "text": "#1f2b30", "hint": "#5f7178", "tab": "#b23a3a"},
}


class ThaiTextUnavailable(RuntimeError):
    """No Thai font or no text shaping: the pictures would be wrong, so none are made."""


def check_thai_text() -> None:
    """Raise unless the Thai fonts and libraqm are there (scripts/setup.sh installs both)."""
    if not features.check("raqm"):
        raise ThaiTextUnavailable("Pillow has no libraqm: Thai vowels and tone marks would be misplaced. "
                                  "Install Debian's libraqm0 (scripts/setup.sh does).")
    _font_path(BOLD)


def _font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise ThaiTextUnavailable(f"Thai font {name} not found in {', '.join(map(str, FONT_DIRS))}: "
                              "install Debian's fonts-thai-tlwg (scripts/setup.sh does).")


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path(name)), size, layout_engine=ImageFont.Layout.RAQM)


def render(page: Page) -> tuple[bytes, str]:
    """The page's picture in LINE's size: PNG bytes (JPEG if a PNG were over 1 MB) and the content type."""
    check_thai_text()
    colours = COLOURS[page.role]
    image = Image.new("RGB", page.size, colours["back"])
    draw = ImageDraw.Draw(image)
    for area in page.areas:
        if area.command is None:
            _draw_tab(draw, area, colours)
        else:
            _draw_tile(draw, area, colours)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")  # optimize=True: 1 % smaller, 3 times slower
    if buffer.tell() <= MAX_BYTES:
        return buffer.getvalue(), "image/png"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue(), "image/jpeg"


def _draw_tile(draw: ImageDraw.ImageDraw, area: Area, colours: dict[str, str]) -> None:
    box = (area.x + GAP, area.y + GAP, area.x + area.width - GAP, area.y + area.height - GAP)
    draw.rounded_rectangle(box, RADIUS, fill=colours["tile"])
    width = area.width - 6 * GAP
    title = _fit(draw, area.title, BOLD, 120, 64, width)
    hint = _fit(draw, area.hint, REGULAR, 64, 36, width)
    title_box = draw.multiline_textbbox((0, 0), title[0], font=title[1], spacing=12, align="center")
    hint_box = draw.textbbox((0, 0), hint[0], font=hint[1])
    title_height, hint_height = title_box[3] - title_box[1], hint_box[3] - hint_box[1]
    between = 48
    top = area.y + (area.height - title_height - between - hint_height) // 2
    centre = area.x + area.width // 2
    draw.multiline_text((centre, top - title_box[1]), title[0], font=title[1], fill=colours["text"], anchor="ma",
                        spacing=12, align="center")
    draw.text((centre, top + title_height + between - hint_box[1]), hint[0], font=hint[1], fill=colours["hint"],
              anchor="ma")


def _draw_tab(draw: ImageDraw.ImageDraw, area: Area, colours: dict[str, str]) -> None:
    box = (area.x + GAP, area.y + GAP, area.x + area.width - GAP, area.y + area.height - GAP // 2)
    if area.current:
        draw.rounded_rectangle(box, RADIUS, fill=colours["tab"], outline="#ffffff", width=8)
    else:
        draw.rounded_rectangle(box, RADIUS, outline="#ffffff", width=4)
    text, font = _fit(draw, area.title, BOLD, 96, 56, area.width - 8 * GAP)
    draw.text((area.x + area.width // 2, area.y + (area.height + GAP // 2) // 2), text, font=font, fill="#ffffff",
              anchor="mm")


def _fit(draw: ImageDraw.ImageDraw, text: str, font_name: str, largest: int, smallest: int,
         width: int) -> tuple[str, ImageFont.FreeTypeFont]:
    """The text at the largest size that fits the width. Words too long for one line at three quarters of the
    size are broken in two lines (English; Thai labels have no spaces and only get smaller)."""
    words = text.split(" ")
    one_line_down_to = max(smallest, largest * 3 // 4) if len(words) > 1 else smallest
    for size in range(largest, one_line_down_to - 1, -4):
        font = _font(font_name, size)
        if draw.textlength(text, font=font) <= width:
            return text, font
    if len(words) > 1:
        middle = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
        broken = " ".join(words[:middle]) + "\n" + " ".join(words[middle:])
        for size in range(largest, smallest - 1, -4):
            font = _font(font_name, size)
            if max(draw.textlength(line, font=font) for line in broken.split("\n")) <= width:
                return broken, font
    return text, _font(font_name, smallest)
