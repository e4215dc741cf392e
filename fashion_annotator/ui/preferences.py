"""User preferences kept in :class:`QSettings`, and the dialog that edits them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.ui.autosave import DEFAULT_INTERVAL_S
from fashion_annotator.ui.icons import swatch


def settings_file(path: str | Path) -> QSettings:
    """Return settings stored in the INI file ``path`` (tests, portable installs)."""
    return QSettings(str(path), QSettings.Format.IniFormat)


def _as_float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


class Preferences:
    """Typed access to the settings: overlay, colours, autosave, last project, window layout.

    Parameters
    ----------
    settings : QSettings, optional
        Defaults to the per-user native settings of the application.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings()

    @property
    def overlay_opacity(self) -> float:
        """Opacity of the label overlay, 0..1."""
        return min(1.0, max(0.0, _as_float(self.settings.value("overlay/opacity"), 0.55)))

    @overlay_opacity.setter
    def overlay_opacity(self, value: float) -> None:
        self.settings.setValue("overlay/opacity", min(1.0, max(0.0, float(value))))

    @property
    def boundaries_visible(self) -> bool:
        """Whether superpixel boundaries are drawn."""
        return str(self.settings.value("overlay/boundaries", "false")).lower() == "true"

    @boundaries_visible.setter
    def boundaries_visible(self, value: bool) -> None:
        self.settings.setValue("overlay/boundaries", "true" if value else "false")

    @property
    def autosave_interval_s(self) -> int:
        """Seconds of unsaved edits before an autosave (0 disables the timer)."""
        value = _as_float(self.settings.value("autosave/interval_s"), DEFAULT_INTERVAL_S)
        return max(0, int(value))

    @autosave_interval_s.setter
    def autosave_interval_s(self, value: int) -> None:
        self.settings.setValue("autosave/interval_s", max(0, int(value)))

    @property
    def background_retrain_every(self) -> int:
        """Newly corrected masks between background retrains (0: off, the default)."""
        return max(0, int(_as_float(self.settings.value("training/background_every"), 0)))

    @background_retrain_every.setter
    def background_retrain_every(self, value: int) -> None:
        self.settings.setValue("training/background_every", max(0, int(value)))

    @property
    def last_project(self) -> Path | None:
        """The project opened last, if any."""
        value = self.settings.value("session/last_project")
        return Path(str(value)) if value else None

    @last_project.setter
    def last_project(self, path: str | Path | None) -> None:
        self.settings.setValue("session/last_project", "" if path is None else str(path))

    def label_color(self, taxonomy: str, name: str) -> tuple[int, int, int] | None:
        """The operator's colour for class ``name`` of ``taxonomy``, or None for the default."""
        value = self.settings.value(f"colors/{taxonomy}/{name}")
        color = QColor(str(value)) if value else QColor()
        return (color.red(), color.green(), color.blue()) if color.isValid() else None

    def set_label_color(self, taxonomy: str, name: str, rgb: tuple[int, int, int] | None) -> None:
        """Set (or with None, reset) the colour of a class."""
        key = f"colors/{taxonomy}/{name}"
        if rgb is None:
            self.settings.remove(key)
        else:
            self.settings.setValue(key, QColor(*rgb).name())

    def apply_colors(self, taxonomy: Taxonomy) -> Taxonomy:
        """Return ``taxonomy`` with the operator's colours in place of the shipped ones."""
        classes = []
        for cls in taxonomy.classes:
            rgb = self.label_color(taxonomy.name, cls.name)
            classes.append(cls if rgb is None else dataclasses.replace(cls, color=rgb))
        return dataclasses.replace(taxonomy, classes=tuple(classes))

    def window_state(self) -> tuple[bytes | None, bytes | None]:
        """Saved ``(geometry, dock state)`` of the main window."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        return (geometry or None, state or None)

    def set_window_state(self, geometry: bytes, state: bytes) -> None:
        """Remember the main window's geometry and dock layout."""
        self.settings.setValue("window/geometry", geometry)
        self.settings.setValue("window/state", state)

    def sync(self) -> None:
        """Write the settings to disk now."""
        self.settings.sync()


class PreferencesDialog(QDialog):
    """Edits overlay opacity, autosave interval and the colours of the current taxonomies."""

    def __init__(
        self, prefs: Preferences, taxonomies: list[Taxonomy], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.prefs = prefs
        self._colors: dict[tuple[str, str], tuple[int, int, int] | None] = {}
        form = QFormLayout()
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(prefs.overlay_opacity * 100))
        form.addRow("Overlay opacity", self.opacity)
        self.autosave = QSpinBox()
        self.autosave.setRange(0, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.autosave.setValue(prefs.autosave_interval_s)
        form.addRow("Autosave after", self.autosave)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Task", "Class", "Colour"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for taxonomy in taxonomies:
            shown = prefs.apply_colors(taxonomy)
            for cls in shown.classes[1:]:
                self._add_color_row(taxonomy.name, cls.name, cls.color)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Label colours (double-click to change):"))
        layout.addWidget(self.table)
        row = QHBoxLayout()
        reset = QPushButton("Reset colours")
        reset.clicked.connect(self._reset_colors)
        row.addWidget(reset)
        row.addStretch(1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.table.cellDoubleClicked.connect(self._pick_color)
        self.resize(460, 520)

    def _add_color_row(self, task: str, name: str, rgb: tuple[int, int, int]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(task))
        self.table.setItem(row, 1, QTableWidgetItem(name))
        item = QTableWidgetItem(swatch(tuple(rgb)), QColor(*rgb).name())
        self.table.setItem(row, 2, item)
        for col in range(3):
            self.table.item(row, col).setFlags(Qt.ItemFlag.ItemIsEnabled)

    def set_color(self, row: int, rgb: tuple[int, int, int] | None) -> None:
        """Stage a new colour for ``row`` (None resets it); written on accept."""
        task, name = self.table.item(row, 0).text(), self.table.item(row, 1).text()
        self._colors[(task, name)] = rgb
        if rgb is not None:
            self.table.item(row, 2).setIcon(swatch(rgb))
            self.table.item(row, 2).setText(QColor(*rgb).name())

    def _pick_color(self, row: int, _column: int) -> None:
        current = QColor(self.table.item(row, 2).text())
        color = QColorDialog.getColor(current, self, "Label colour")
        if color.isValid():
            self.set_color(row, (color.red(), color.green(), color.blue()))

    def _reset_colors(self) -> None:
        for row in range(self.table.rowCount()):
            self.set_color(row, None)
            self.table.item(row, 2).setText("default")

    def accept(self) -> None:
        """Write the edited values to the preferences."""
        self.prefs.overlay_opacity = self.opacity.value() / 100
        self.prefs.autosave_interval_s = self.autosave.value()
        for (task, name), rgb in self._colors.items():
            self.prefs.set_label_color(task, name, rgb)
        self.prefs.sync()
        super().accept()
