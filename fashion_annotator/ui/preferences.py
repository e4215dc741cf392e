"""User preferences kept in :class:`QSettings`, and the dialog that edits them."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QAction, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.postgres.url import (
    is_postgres_url,
    password_of,
    project_location,
    server_account,
    with_password,
    without_password,
)
from fashion_annotator.ui.annotate.autosave import DEFAULT_INTERVAL_S
from fashion_annotator.ui.icons import swatch
from fashion_annotator.ui.screen_fit import fit_on_show
from fashion_annotator.ui.shortcuts import ShortcutEditor


def settings_file(path: str | Path) -> QSettings:
    """Return settings stored in the INI file ``path`` (tests, portable installs)."""
    return QSettings(str(path), QSettings.Format.IniFormat)


def _as_float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _as_count(value: object, default: int, maximum: int) -> int:
    """``value`` as a whole number from 0 to ``maximum``; ``default`` when it is no finite
    number (``nan`` or ``1e99`` typed into the settings file stopped the app at start-up:
    ``int(nan)`` raised, and a Qt timer or spin box took no number that large)."""
    number = _as_float(value, default)
    return min(maximum, max(0, int(number))) if math.isfinite(number) else default


def _as_whole(value: object, least: int, most: int) -> int | None:
    """``value`` as a whole number from ``least`` to ``most``, or None (missing, damaged)."""
    number = _as_float(value, math.nan)
    return min(most, max(least, int(number))) if math.isfinite(number) else None


def _as_bytes(value: object) -> bytes | None:
    """``value`` as bytes when it is a byte array, else None."""
    if isinstance(value, QByteArray):
        return bytes(value.data())
    return bytes(value) if isinstance(value, (bytes, bytearray)) else None


class Preferences:
    """Typed access to the settings: overlay, colours, autosave, last project, window layout.

    Parameters
    ----------
    settings : QSettings, optional
        Defaults to the per-user native settings of the application.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings()
        self._damage_said = False
        #: ``URL without password -> URL with it``: server projects' secrets (a password, an
        #: ``sslpassword``), for this session only (typed when the server asked, or read from an
        #: older settings file).
        self._urls: dict[str, str] = {}
        #: ``(host, port, user) -> password``: one password per server account for the session,
        #: so another project (or database) of the same server and user is not asked for again.
        self._passwords: dict[tuple[str, int, str], str] = {}
        self._forget_saved_password()

    def _forget_saved_password(self) -> None:
        """Rewrite a last project URL that an older version saved with its password without it,
        keeping the password in memory for this session (anyone who could read the settings
        file, a backup of it or a support bundle had the team's database password)."""
        value = self.settings.value("session/last_project")
        if value and is_postgres_url(str(value)) and without_password(str(value)) != str(value):
            self.remember_url(str(value))
            self.settings.setValue("session/last_project", without_password(str(value)))
            self.settings.sync()

    def remember_url(self, location: str) -> None:
        """Keep the secrets of the server project URL ``location`` for this session (in memory,
        never in the settings file), its password for every project of the same server account:
        :meth:`session_url` gives them back."""
        if is_postgres_url(location) and without_password(location) != location:
            self._urls[without_password(location)] = location
            password = password_of(location)
            if password is not None:
                self._passwords[server_account(location)] = password

    def forget_password(self, location: str) -> None:
        """Forget the password this session keeps for the server account of ``location`` (the
        server refused it: the next open asks, it does not try it again)."""
        self._passwords.pop(server_account(location), None)
        stripped = without_password(location)
        if password_of(self._urls.get(stripped, stripped)) is not None:
            self._urls.pop(stripped, None)

    def session_url(self, location: str) -> str:
        """``location`` with the secrets this session knows for it (see :meth:`remember_url`):
        those typed for this very URL, and the password of its server account (host, port and
        user: another project or database of the same account opens without asking again); a
        URL that holds a password, or one with none known, unchanged."""
        if not is_postgres_url(location) or without_password(location) != location:
            return location
        url = self._urls.get(location, location)
        password = self._passwords.get(server_account(location))
        return url if password in (None, password_of(url)) else with_password(url, password)

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
        return _as_count(self.settings.value("autosave/interval_s"), DEFAULT_INTERVAL_S, MAX_AUTOSAVE_S)

    @autosave_interval_s.setter
    def autosave_interval_s(self, value: int) -> None:
        self.settings.setValue("autosave/interval_s", max(0, int(value)))

    def background_retrain_every(self, project_root: Path) -> int:
        """Newly corrected masks between background retrains of the project at
        ``project_root`` (0: off, the default). Per project: switched on for one, it retrained
        and promoted in every project this user opened."""
        return _as_count(self.settings.value(f"background_every/{_key(project_root)}"), 0, MAX_BACKGROUND_EVERY)

    def set_background_retrain_every(self, project_root: Path, value: int) -> None:
        """Set :meth:`background_retrain_every` of one project."""
        self.settings.setValue(f"background_every/{_key(project_root)}", max(0, int(value)))

    @property
    def fast_proposals(self) -> bool:
        """Proposals from one plain pass per model (no flip averaging, the training resolution):
        about 2-3x faster, slightly less accurate. Off by default."""
        return str(self.settings.value("models/fast_proposals", "false")).lower() == "true"

    @fast_proposals.setter
    def fast_proposals(self, value: bool) -> None:
        self.settings.setValue("models/fast_proposals", "true" if value else "false")

    @property
    def last_project(self) -> str | Path | None:
        """The project opened last (a folder, or a PostgreSQL project URL without its password),
        if any."""
        value = self.settings.value("session/last_project")
        return project_location(without_password(str(value))) if value else None

    @last_project.setter
    def last_project(self, path: str | Path | None) -> None:
        """Remember the last project; a server URL's password stays in memory, not in the file."""
        if path is not None:
            self.remember_url(str(path))
        self.settings.setValue("session/last_project", "" if path is None else without_password(str(path)))

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
        """Saved ``(geometry, dock state)`` of the main window; a value that is not a byte
        array (a settings file edited or damaged by hand) is None, the default layout (a
        ``geometry=garbage`` line stopped the window from opening at all)."""
        geometry = _as_bytes(self.settings.value("window/geometry"))
        state = _as_bytes(self.settings.value("window/state"))
        return (geometry or None, state or None)

    def set_window_state(self, geometry: QByteArray | bytes, state: QByteArray | bytes) -> None:
        """Remember the main window's geometry and dock layout."""
        self.settings.setValue("window/geometry", geometry)
        self.settings.setValue("window/state", state)

    # -- the operator's working state, kept across restarts ---------------------------------

    @property
    def brush_radius(self) -> float:
        """Brush and eraser radius in image pixels."""
        return min(500.0, max(0.5, _as_float(self.settings.value("tools/brush_radius"), 8.0)))

    @brush_radius.setter
    def brush_radius(self, value: float) -> None:
        self.settings.setValue("tools/brush_radius", float(value))

    @property
    def last_tool(self) -> str:
        """The tool chosen last (``brush`` by default)."""
        return str(self.settings.value("tools/last_tool", "brush") or "brush")

    @last_tool.setter
    def last_tool(self, name: str) -> None:
        self.settings.setValue("tools/last_tool", name)

    def last_image(self, project_root: Path) -> int | None:
        """The image last open in the project at ``project_root``."""
        value = self.settings.value(f"last_image/{_key(project_root)}")
        try:
            return int(str(value)) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def set_last_image(self, project_root: Path, image_id: int) -> None:
        """Remember the image open in the project at ``project_root``."""
        self.settings.setValue(f"last_image/{_key(project_root)}", int(image_id))

    def last_task(self, project_root: Path) -> str | None:
        """The task last shown in the project at ``project_root`` (None: never remembered)."""
        value = self.settings.value(f"last_task/{_key(project_root)}")
        return str(value) if value not in (None, "") else None

    def set_last_task(self, project_root: Path, task: str) -> None:
        """Remember the task shown in the project at ``project_root``."""
        self.settings.setValue(f"last_task/{_key(project_root)}", task)

    def last_label(self, project_root: Path, task: str) -> str | None:
        """The name of the class last chosen for ``task`` in the project at ``project_root``
        (None: never remembered)."""
        value = self.settings.value(f"last_label/{_key(project_root)}/{task}")
        return str(value) if value not in (None, "") else None

    def set_last_label(self, project_root: Path, task: str, name: str) -> None:
        """Remember ``name``, the class chosen for ``task`` in the project at ``project_root``."""
        self.settings.setValue(f"last_label/{_key(project_root)}/{task}", name)

    def last_retrain(self, project_root: Path, task: str) -> dict[str, Any]:
        """The settings of the last retrain of ``task``'s model started in the project at
        ``project_root``: ``epochs`` (1-1000), ``minutes`` (1-600) and ``device`` (a name), each
        None when never chosen or unreadable (the Retrain dialog set Epochs from the mask count
        at every opening: a run with 1 epoch offered 27 again)."""
        key = f"retrain/{_key(project_root)}/{task}"
        device = self.settings.value(f"{key}/device")
        return {
            "epochs": _as_whole(self.settings.value(f"{key}/epochs"), 1, 1000),
            "minutes": _as_whole(self.settings.value(f"{key}/minutes"), 1, 600),
            "device": str(device) if device not in (None, "") else None,
        }

    def set_last_retrain(self, project_root: Path, task: str, epochs: int, minutes: int, device: str) -> None:
        """Keep a started retrain's ``epochs``, ``minutes`` and ``device`` for the next one."""
        key = f"retrain/{_key(project_root)}/{task}"
        self.settings.setValue(f"{key}/epochs", int(epochs))
        self.settings.setValue(f"{key}/minutes", int(minutes))
        self.settings.setValue(f"{key}/device", str(device))

    def last_export(self, project_root: Path) -> dict[str, str]:
        """The last export's choices in the project at ``project_root``: ``format``, ``shapes``,
        ``tolerance``, ``folder`` and ``finished_only`` (strings; missing keys were never
        chosen)."""
        keys = ("format", "shapes", "tolerance", "folder", "finished_only")
        out = {}
        for key in keys:
            value = self.settings.value(f"export/{_key(project_root)}/{key}")
            if value not in (None, ""):
                out[key] = str(value)
        return out

    def set_last_export(self, project_root: Path, choices: dict[str, object]) -> None:
        """Remember an export's ``choices`` (see :meth:`last_export`) for the next one."""
        for key, value in choices.items():
            self.settings.setValue(f"export/{_key(project_root)}/{key}", "" if value is None else str(value))

    @property
    def recent_projects(self) -> list[Path]:
        """Projects opened recently, newest first (at most :data:`MAX_RECENT`)."""
        value = self.settings.value("session/recent_projects") or []
        items = [value] if isinstance(value, str) else list(value)
        return [Path(str(v)) for v in items if v][:MAX_RECENT]

    def add_recent_project(self, root: Path) -> None:
        """Put ``root`` first in the recent projects, among those the settings file lists now
        (re-read: a second window's project, added since this one read it, was dropped when
        this one closed)."""
        self.settings.sync()
        root = Path(root).resolve()
        rest = [p for p in self.recent_projects if p != root]
        self.settings.setValue(
            "session/recent_projects", [str(p) for p in [root, *rest]][:MAX_RECENT]
        )

    @property
    def theme(self) -> str:
        """``system``, ``light`` or ``dark``."""
        value = str(self.settings.value("appearance/theme", "system") or "system")
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {value!r}")
        self.settings.setValue("appearance/theme", value)

    def shortcut(self, action: str) -> list[str] | None:
        """The operator's keys for ``action`` (None: the default; ``[]``: no key)."""
        value = self.settings.value(f"shortcuts/{action}")
        if value is None:
            return None
        items = [value] if isinstance(value, str) else list(value)
        return [str(v) for v in items if v]

    def set_shortcut(self, action: str, keys: list[str] | None) -> None:
        """Set (or with None, reset to the default) the keys of ``action``."""
        if keys is None:
            self.settings.remove(f"shortcuts/{action}")
        else:
            self.settings.setValue(f"shortcuts/{action}", list(keys) or "")

    def sync(self) -> None:
        """Write the settings to disk now."""
        self.settings.sync()

    def unsaved_reason(self) -> str | None:
        """Why the settings are not kept for the next start (their file cannot be written: a
        home folder that is read-only, ``XDG_CONFIG_HOME`` naming a file), else None. Nothing
        said it: keys, colours and recent projects set were gone at the next start.

        A file damaged outside the program (not all of it a settings file) is said once: it is
        written anew, with what could be read of it (it was said not to be writable, though it
        was written and every setting lasted).
        """
        status = self.settings.status()
        if self.settings.isWritable() and status != QSettings.Status.AccessError:
            if status != QSettings.Status.FormatError or self._damage_said:
                return None
            self._damage_said = True
            return (
                f"Preferences file {self.settings.fileName()} was damaged (not all of it could be "
                "read): settings it held may be back to their defaults; it has been written anew"
            )
        return (
            f"Preferences are not saved: {self.settings.fileName()} cannot be written; keys, "
            "colours, recent projects and the window layout last until the app quits"
        )


MAX_RECENT = 8
#: The longest autosave interval the Preferences dialog offers (s).
MAX_AUTOSAVE_S = 3600
#: The most masks between background retrains that Train > Background retrain offers.
MAX_BACKGROUND_EVERY = 10_000
THEMES = ("system", "light", "dark")


def _key(path: Path) -> str:
    """A settings key for a folder (slashes would nest groups)."""
    return str(Path(path).resolve()).replace("/", "|").replace("\\", "|")


class PreferencesDialog(QDialog):
    """Edits overlay opacity, autosave interval and the colours of the current taxonomies."""

    def __init__(
        self,
        prefs: Preferences,
        taxonomies: list[Taxonomy],
        parent: QWidget | None = None,
        *,
        actions: list[QAction] | None = None,
        reserved: dict[str, str] | None = None,
        panel_keys: dict[str, str] | None = None,
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
        self.autosave.setRange(0, MAX_AUTOSAVE_S)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.autosave.setValue(prefs.autosave_interval_s)
        form.addRow("Autosave after", self.autosave)
        self.theme = QComboBox()
        for value, text in (("system", "System"), ("light", "Light"), ("dark", "Dark")):
            self.theme.addItem(text, value)
        self.theme.setCurrentIndex(THEMES.index(prefs.theme))
        form.addRow("Appearance", self.theme)
        self.fast = QCheckBox("Fast proposals (2-3x faster)")
        self.fast.setToolTip(
            "Run each model once at its training resolution, without flip averaging: "
            "for slow computers; the proposals are a little less accurate."
        )
        self.fast.setChecked(prefs.fast_proposals)
        form.addRow("Models", self.fast)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Task", "Class", "Colour"])
        self.table.setTabKeyNavigation(False)  # Tab moves on to the buttons
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for taxonomy in taxonomies:
            shown = prefs.apply_colors(taxonomy)
            for cls in shown.classes[1:]:
                self._add_color_row(taxonomy.name, cls.name, cls.color)
        general = QWidget()
        page = QVBoxLayout(general)
        page.addLayout(form)
        page.addWidget(QLabel("Label colours (double-click, or Enter, to change):"))
        page.addWidget(self.table)
        reset = QPushButton("Reset colours")
        reset.clicked.connect(self._reset_colors)
        page.addWidget(reset, 0, Qt.AlignmentFlag.AlignLeft)
        self.pages = QTabWidget()
        self.pages.addTab(general, "General")
        self.keys: ShortcutEditor | None = None
        if actions:
            keys_page = QWidget()
            keys_layout = QVBoxLayout(keys_page)
            self.keys = ShortcutEditor(actions, prefs, reserved or {}, panel_keys=panel_keys)
            hint = QLabel("Click a key, or choose a command with the arrow keys and press Enter, then "
                          "press the new key; a key already in use is refused. Esc keeps the key, Tab moves on.")  # fmt: skip
            hint.setWordWrap(True)
            keys_layout.addWidget(hint)
            keys_layout.addWidget(self.keys)
            #: Why the last key was refused (hidden while there is nothing to say).
            self.key_message = QLabel()
            self.key_message.setWordWrap(True)
            self.key_message.setStyleSheet("color: #c62828;")
            self.key_message.hide()
            self.keys.refused.connect(self._key_refused)
            keys_layout.addWidget(self.key_message)
            reset_keys = QPushButton("Reset keys")
            reset_keys.clicked.connect(self.keys.reset)
            keys_layout.addWidget(reset_keys, 0, Qt.AlignmentFlag.AlignLeft)
            self.pages.addTab(keys_page, "Keyboard")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        row = QHBoxLayout()
        row.addStretch(1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.table.cellDoubleClicked.connect(self._pick_color)
        self.table.installEventFilter(self)  # Enter, F2 or Space on a row: its colour
        # wide enough for the keyboard page's three columns (command, key, default keys)
        self.resize(680 if self.keys is not None else 520, 580)
        fit_on_show(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Enter, F2 or Space on a row of the colour table picks its colour: only a double-click
        did, and Enter there pressed OK and closed the dialog."""
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2, Qt.Key.Key_Space)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            and self.table.currentRow() >= 0
        ):
            self._pick_color(self.table.currentRow(), 0)
            return True
        return super().eventFilter(watched, event)

    def _key_refused(self, reason: str) -> None:
        self.key_message.setText(f"{reason}: the key was not changed." if reason else "")
        self.key_message.setVisible(bool(reason))

    def _add_color_row(self, task: str, name: str, rgb: tuple[int, int, int]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        shown = QTableWidgetItem(task_title(task))  # "Parsing", as the window says, not "parsing7"
        shown.setData(Qt.ItemDataRole.UserRole, task)
        self.table.setItem(row, 0, shown)
        self.table.setItem(row, 1, QTableWidgetItem(name))
        item = QTableWidgetItem(
            swatch((int(rgb[0]), int(rgb[1]), int(rgb[2]))), QColor(*rgb).name()
        )
        self.table.setItem(row, 2, item)
        for col in range(3):
            self._cell(row, col).setFlags(Qt.ItemFlag.ItemIsEnabled)

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None, f"colour table has no cell {row}, {column}"
        return item

    def set_color(self, row: int, rgb: tuple[int, int, int] | None) -> None:
        """Stage a new colour for ``row`` (None resets it); written on accept."""
        task, name = str(self._cell(row, 0).data(Qt.ItemDataRole.UserRole)), self._cell(row, 1).text()
        self._colors[(task, name)] = rgb
        if rgb is not None:
            self._cell(row, 2).setIcon(swatch(rgb))
            self._cell(row, 2).setText(QColor(*rgb).name())

    def _pick_color(self, row: int, _column: int) -> None:
        current = QColor(self._cell(row, 2).text())
        color = QColorDialog.getColor(current, self, "Label colour")
        if color.isValid():
            self.set_color(row, (color.red(), color.green(), color.blue()))

    def _reset_colors(self) -> None:
        for row in range(self.table.rowCount()):
            self.set_color(row, None)
            self._cell(row, 2).setText("default")

    def accept(self) -> None:
        """Write the edited values to the preferences."""
        self.prefs.overlay_opacity = self.opacity.value() / 100
        self.prefs.autosave_interval_s = self.autosave.value()
        for (task, name), rgb in self._colors.items():
            self.prefs.set_label_color(task, name, rgb)
        self.prefs.theme = self.theme.currentData()
        self.prefs.fast_proposals = self.fast.isChecked()
        if self.keys is not None:
            self.keys.save()
        self.prefs.sync()
        super().accept()
