"""The export dialog offers the cutout's clean edges (``--edges clean``) and remembers them."""

from __future__ import annotations


def test_the_export_dialog_offers_clean_cutout_edges(qtbot) -> None:
    from fashion_annotator.ui.file_menu import ExportDialog

    dialog = ExportDialog(["garment"], "garment")
    qtbot.addWidget(dialog)
    dialog.fmt.setCurrentText("cutout")
    offered = [dialog.edges.itemData(i) for i in range(dialog.edges.count())]
    assert offered[0] == "soft" and "clean" in offered  # soft stays the default

    dialog.edges.setCurrentIndex(offered.index("clean"))
    assert dialog.options() == {"edges": "clean"}

    again = ExportDialog(["garment"], "garment")
    qtbot.addWidget(again)
    again.restore({key: str(value) for key, value in dialog.choices().items()})
    assert again.options() == {"edges": "clean"}
