#!/usr/bin/env python3
"""How far a page drawn in bands (what `render_pixels` in crates/pdf/src/render.rs does) is
from the same page drawn whole, with pypdfium2's build of the same PDFium: the same BGR
bitmap format, 150 dpi within 3072² pixels, bands of 2 MiB of rows drawn with the page's
origin moved up by the rows before them (`FPDF_RenderPageBitmap` with a negative start_y).

For each of the first pages of each file: whether the bytes are identical, and if not, how
many differ and by how much at most (of 255).

  .venv/bin/python benches/band_render_diff.py FILE.pdf ...
  awk -F'\\t' '$2=="drawing" {print "../shared/corpus/"$1}' ../shared/corpus/MANIFEST.tsv \\
    | xargs -d '\n' .venv/bin/python benches/band_render_diff.py
"""

import ctypes
import sys

import pypdfium2 as pdfium
import pypdfium2.raw as raw

BAND_BYTES = 2 << 20
PAGES_PER_FILE = 3


def size_of(page):
    width_pt, height_pt = page.get_size()
    dpi = 150.0
    pixels = (width_pt * dpi / 72) * (height_pt * dpi / 72)
    if pixels > 3072 * 3072:
        dpi *= (3072 * 3072 / pixels) ** 0.5
    return max(1, round(width_pt * dpi / 72)), max(1, round(height_pt * dpi / 72))


def draw(page, width, height, top, rows):
    """Rows `top..top + rows` of the page drawn `width` x `height`, as PDFium's BGR bytes."""
    stride = (width * 3 + 3) // 4 * 4
    buffer = (ctypes.c_uint8 * (stride * rows))()
    bitmap = raw.FPDFBitmap_CreateEx(width, rows, raw.FPDFBitmap_BGR, buffer, stride)
    raw.FPDFBitmap_FillRect(bitmap, 0, 0, width, rows, 0xFFFFFFFF)
    raw.FPDF_RenderPageBitmap(bitmap, page.raw, 0, -top, width, height, 0, 0)
    raw.FPDFBitmap_Destroy(bitmap)
    return bytes(buffer)


def main():
    pages = differing = 0
    worst = 0
    for path in sys.argv[1:]:
        try:
            document = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError):
            continue
        for index in range(min(len(document), PAGES_PER_FILE)):
            page = document[index]
            width, height = size_of(page)
            band = max(1, min(height, BAND_BYTES // ((width * 3 + 3) // 4 * 4)))
            whole = draw(page, width, height, 0, height)
            banded = b"".join(draw(page, width, height, top, min(band, height - top))
                              for top in range(0, height, band))
            pages += 1
            if whole != banded:
                differing += 1
                deltas = [abs(a - b) for a, b in zip(whole, banded) if a != b]
                worst = max(worst, max(deltas))
                print(f"{path.split('/')[-1]} page {index + 1}: {len(deltas)} of {len(whole)} bytes "
                      f"({100 * len(deltas) / len(whole):.3f} %) differ, by at most {max(deltas)}")
    print(f"{pages} pages, {differing} not byte-identical, largest difference {worst} of 255")


if __name__ == "__main__":
    main()
