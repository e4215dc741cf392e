"""Render the app icon PNGs from its SVG: python packaging/render_icons.py resources/icons/app

Writes ``fashion-annotator-SIZE.png`` for the sizes desktops and installers ask for.
"""

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 32, 48, 64, 128, 256, 512)


def main(folder: Path) -> None:
    renderer = QSvgRenderer(QByteArray((folder / "fashion-annotator.svg").read_bytes()))
    if not renderer.isValid():
        raise SystemExit(f"{folder / 'fashion-annotator.svg'}: not a valid SVG file")
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        image.save(str(folder / f"fashion-annotator-{size}.png"))


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    main(Path(sys.argv[1]))
