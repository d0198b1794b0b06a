"""DejaVu Sans for pyHanko's visible signature stamp, with widths PDF readers agree on.

pyHanko's default stamp font is Courier with Latin-1 only, so "Łukasz Żółć" came out
garbled. Its OpenType engine (``pyhanko[opentype]``: fontTools + uharfbuzz) embeds a real
font, but writes glyph widths and HarfBuzz advances in the font's own units, which PDF
reads as thousandths of an em: right only for fonts with 1,000 units per em. DejaVu Sans
has 2,048, so every letter was spaced twice as wide and the stamp ran out of its box.
``ThousandthsAccumulator`` scales both to thousandths; nothing else changes.

Subsetting the whole DejaVu Sans at every signing took ~450 ms, most of it decoding its
OpenType layout tables, which a one-line stamp does not need. ``_font_bytes`` makes, once
per process, a copy limited to the scripts names are written in here (Latin, Latin
Extended, Greek, Cyrillic, punctuation) without layout tables.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

from ddassess.paths import resources_dir

if TYPE_CHECKING:
    from pyhanko.pdf_utils.writer import BasePdfFileWriter
    from pyhanko.pdf_utils.xref import ObjectStream

NAME_SCRIPTS = [*range(0x20, 0x250), *range(0x370, 0x530), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070), 0x20AC]


@cache
def _font_bytes() -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" is harmless
    font = TTFont(str(resources_dir() / "fonts" / "DejaVuSans.ttf"))
    for tag in ("GSUB", "GPOS", "GDEF"):
        if tag in font:
            del font[tag]
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = [], ["*"], True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=NAME_SCRIPTS)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class ThousandthsAccumulator(GlyphAccumulator):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._font_upm = self.units_per_em
        self.hb_font.scale = (1000, 1000)  # HarfBuzz positions in thousandths of an em
        self.units_per_em = 1000

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        if glyph_id in self._glyphs:
            return self._glyphs[glyph_id]
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = (cid, round(width * 1000 / self._font_upm))
        return result


@dataclass(frozen=True)
class StampFont(GlyphAccumulatorFactory):
    font_file: str = "DejaVuSans.ttf"

    def create_font_engine(self, writer: BasePdfFileWriter,
                           obj_stream: ObjectStream | None = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return ThousandthsAccumulator(writer=writer, font_handle=io.BytesIO(_font_bytes()),
                                      font_size=self.font_size, obj_stream=obj_stream)
