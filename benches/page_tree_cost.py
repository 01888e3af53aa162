#!/usr/bin/env python3
"""What PDFium keeps after loading page N of a document, and whether the page tree's shape
changes it: the measurement behind the README's "Not flat in the page count".

For a PDF whose root /Pages lists its pages directly (a flat tree, as CAD plotters write
them) and whose last cross-reference section is a classic table, it writes two variants as
incremental updates appended to the file:
  tree  the root /Pages replaced by a two-level tree (16 pages a node, with /Count);
  cut   the root /Pages listing only pages [N - 6, N + 10), so that page N is its page 6;
then, each in a fresh process, opens the document with pypdfium2 (the PDFium build the set-up
pins), loads and closes page N and reports the anonymous memory left behind (after
malloc_trim), with page 2 of the plain file as the baseline. Renders of page N in every
variant are compared pixel for pixel.

  .venv/bin/python benches/page_tree_cost.py FILE.pdf [N]      # N defaults to the last page - 9
"""

import ctypes
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium

OBJ = rb"(?:^|\n)%d 0 obj\s*(<<.*?>>)\s*endobj"


def structure(src):
    """The last startxref, /Size, /Root ref, the root /Pages number and its kids."""
    startxref = int(re.findall(rb"startxref\s+(\d+)", src)[-1])
    tail = src[src.rindex(b"trailer"):]
    size = int(re.search(rb"/Size\s+(\d+)", tail).group(1))
    root = re.search(rb"/Root\s+(\d+\s+\d+)\s+R", tail).group(1)
    catalog = re.search(OBJ % int(root.split()[0]), src, re.S).group(1)
    pages_no = int(re.search(rb"/Pages\s+(\d+)\s+0\s+R", catalog).group(1))
    pages = re.search(OBJ % pages_no, src, re.S).group(1)
    kids = re.findall(rb"(\d+\s+\d+)\s+R", re.search(rb"/Kids\s*\[(.*?)\]", pages, re.S).group(1))
    return startxref, size, root, pages_no, kids


def append(src, objects, size, root, startxref):
    """`src` plus `objects` ({number: dict bytes}) as an incremental update."""
    out = bytearray(src if src.endswith(b"\n") else src + b"\n")
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n" + b"".join(b"%d 1\n%010d 00000 n \n" % (n, o) for n, o in sorted(offsets.items()))
    out += b"trailer\n<</Size %d/Root %s R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        max(size, max(offsets) + 1), root, startxref, xref)
    return bytes(out)


def variants(src, page):
    startxref, size, root, pages_no, kids = structure(src)
    refs = lambda ks: b" ".join(k + b" R" for k in ks)
    groups = [kids[i:i + 16] for i in range(0, len(kids), 16)]
    nodes = {size + i: b"<</Type/Pages/Parent %d 0 R/Kids[%s]/Count %d>>" % (pages_no, refs(g), len(g))
             for i, g in enumerate(groups)}
    nodes[pages_no] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (
        b" ".join(b"%d 0 R" % n for n in sorted(n for n in nodes if n != pages_no)), len(kids))
    first = max(0, page - 6)
    cut = {pages_no: b"<</Type/Pages/Kids[%s]/Count %d>>" % (refs(kids[first:first + 16]),
                                                            len(kids[first:first + 16]))}
    return {
        "plain": (src, page),
        "tree": (append(src, nodes, size + len(groups), root, startxref), page),
        "cut": (append(src, cut, size, root, startxref), page - first),
    }


def left_behind(path, index):
    """Run in a child: MiB of anonymous memory PDFium keeps after loading and closing a page."""
    libc = ctypes.CDLL("libc.so.6")

    def anon():
        libc.malloc_trim(0)
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon"):
                return int(line.split()[1]) / 1024

    data = Path(path).read_bytes()
    document = pdfium.PdfDocument(data)
    before = anon()
    document[index].close()
    return anon() - before


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        print(f"{left_behind(sys.argv[2], int(sys.argv[3])):.1f}")
        return
    src = Path(sys.argv[1]).read_bytes()
    count = len(pdfium.PdfDocument(src))
    page = int(sys.argv[2]) if len(sys.argv) > 2 else max(0, count - 10)
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        rows = []
        for name, (data, index) in variants(src, page).items():
            path = Path(tmp) / f"{name}.pdf"
            path.write_bytes(data)
            kept = subprocess.check_output([sys.executable, __file__, "--child", str(path), str(index)], text=True)
            pixels = pdfium.PdfDocument(str(path))[index].render(scale=0.1).to_pil().tobytes()
            reference = reference or pixels
            rows.append((name, index, kept.strip(), pixels == reference))
        base = subprocess.check_output([sys.executable, __file__, "--child", sys.argv[1], "2"], text=True)
        print(f"{sys.argv[1]}: {count} pages; page {page + 1} in each variant (page 3 of the plain file: "
              f"{base.strip()} MiB left)")
        for name, index, kept, same in rows:
            print(f"  {name:6} as page {index + 1:4}: {kept:>6} MiB left after closing it; "
                  f"pixels {'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
