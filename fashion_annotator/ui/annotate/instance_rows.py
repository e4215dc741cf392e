"""The Instances panel's rows: one list item per instance (swatch, category, attributes).

A row names the parsing class of an instance whose pixels carry another class than its
category's ("skirt (on dress pixels)"): why two of one category may need bringing to one
class, which picking the category again or merging them does (:mod:`.instances_dock`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem

from fashion_annotator.instances.model import Instance
from fashion_annotator.instances.schema import InstanceTaxonomy
from fashion_annotator.ui.icons import swatch

#: The item data role holding a row's instance id.
ID_ROLE = Qt.ItemDataRole.UserRole


def instance_item(inst: Instance, taxonomy: InstanceTaxonomy, parsing_task: str, parsing_names: list[str]) -> QTreeWidgetItem:
    """The list row of ``inst``.

    Parameters
    ----------
    inst : Instance
    taxonomy : InstanceTaxonomy
        The instance categories.
    parsing_task : str
        The project's parsing task; ``parsing_names`` its class names.
    parsing_names : list of str
    """
    attrs = ", ".join(f"{v}" for g, v in inst.attributes.items() if g != "colour")
    text = inst.category or "(no category)"
    if inst.category_changed:
        text += f"  (was {inst.proposed_category})"
    if taxonomy.off_class(inst.category, inst.parsing_class, parsing_task, parsing_names):
        text += f"  (on {parsing_names[inst.parsing_class]} pixels)"
    item = QTreeWidgetItem([f"{inst.id}. {text}", attrs])
    item.setData(0, ID_ROLE, inst.id)
    if inst.colour_rgb is not None:
        r, g, b = inst.colour_rgb
        item.setIcon(0, swatch((int(r), int(g), int(b))))
    item.setToolTip(0, f"colour {inst.colour or '?'}; parsing class {parsing_names[inst.parsing_class]}")
    return item
