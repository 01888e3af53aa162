"""The pypdfium2 side of `cargo bench --bench render`: the Python route a user would take.

Renders every page of the PDFs listed (one path a line) in LIST at DPI and writes each as a
PNG with Pillow's defaults, exactly as pypdfium2's documentation shows. Prints one line,
`pages=N`, so the bench can check both sides did the same pages. Run by the bench in a child
process of its own, so that its peak RSS is this side's alone.

    python render_pypdfium2.py LIST OUT_DIR DPI
"""

import os
import sys

import pypdfium2 as pdfium


def main() -> None:
    list_file, out_dir, dpi = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(list_file, encoding="utf-8") as listing:
        paths = [line.rstrip("\n") for line in listing if line.strip()]
    pages = 0
    for path in paths:
        document = pdfium.PdfDocument(path)
        for index in range(len(document)):
            page = document[index]
            page.render(scale=dpi / 72).to_pil().save(os.path.join(out_dir, f"{pages}.png"))
            page.close()
            pages += 1
        document.close()
    print(f"pages={pages}")


if __name__ == "__main__":
    main()
