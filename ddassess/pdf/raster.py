"""PDF pages as pixels (pdfium, via pypdfium2), for printing through the desktop's print
dialog: the printed plan is the PDF itself, not a second rendering of it. In memory only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class PageImage:
    width: int
    height: int
    stride: int
    rgba: bytes
    width_pt: float
    height_pt: float


def rasterise(pdf: bytes, dpi: int = 200) -> Iterator[PageImage]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(pdf)
    try:
        for page in doc:
            w_pt, h_pt = page.get_size()
            bitmap = page.render(scale=dpi / 72, may_draw_forms=True, rev_byteorder=True,
                                 force_bitmap_format=pdfium_c.FPDFBitmap_BGRA)
            yield PageImage(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer), w_pt, h_pt)
            page.close()
    finally:
        doc.close()
