"""The Retrain dialog's progress line: the bar, the ETA and the status text a trainer's steps set.

Each function takes the :class:`~fashion_annotator.ui.train.training_dialog.RetrainDialog` and
one ``--json-progress`` event. Between the held-out run's last step and the refit (or the end)
the trainer scores the new model and the current one on the val photos, minutes on a CPU: its
``stage`` event turns the bar busy and says so (the dialog stayed at 100 %, "ETA 0 s" and the
last step's line, as if stuck: a hand test). Before the first step of the first epoch (the
masks read and cached, the first batch timed: 40 s on a CPU) the bar stands at 0 % of the
epochs and the status says so, where a busy bar and "ETA --" said nothing (:func:`show_start`).
The ETA keeps the width of its longest text (:func:`keep_eta_width`): it no longer grew
at the end, "ETA 0 s" cut off at the dialog's right edge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel

from fashion_annotator.ui.train.selection_text import format_eta, format_figure
from training.click_retrain import CLICK_TASK

if TYPE_CHECKING:
    from fashion_annotator.ui.train.training_dialog import RetrainDialog

#: Validation metrics shown in the plot, most preferred first: the figure the comparison decides
#: on first (median Dice for cutouts, mIoU for parsing; ``worse_reason``).
PLOT_METRICS = ("median_dice", "miou", "dice", "dice_mean", "iou", "pixel_accuracy")
#: What the ETA says before the first steps are timed.
TIMING = "ETA: timing…"
#: The longest texts the ETA label shows (:func:`format_eta`): its width fits each of them.
ETA_WIDEST = ("ETA 59 min 59 s", "ETA 99 h 59 min", TIMING, format_eta(None))


def keep_eta_width(label: QLabel) -> None:
    """Give ``label`` the width of the longest ETA, so no ETA is squeezed and the bar beside
    it keeps its length from "ETA --" to "ETA 0 s"."""
    metrics = label.fontMetrics()
    label.setMinimumWidth(max(metrics.horizontalAdvance(text) for text in ETA_WIDEST) + 4)


def show_start(dialog: RetrainDialog, event: dict[str, Any]) -> None:
    """The trainer started: until its first step reports, the first epoch is being timed (the
    masks read, the first batch run), said in the status, the bar at 0 % of the epochs."""
    dialog.epochs_total = int(event.get("epochs", dialog.epochs_total) or dialog.epochs_total)
    device = event.get("device")
    where = f" on {device}" if device else ""
    if dialog.epochs_total <= 0 or dialog.task == CLICK_TASK:  # it runs for its time budget
        dialog.status_label.setText(f"Training{where}" if device else "Training...")
        return
    dialog.progress.setRange(0, dialog.epochs_total)
    dialog.progress.setValue(0)
    dialog.eta_label.setText(TIMING)
    dialog.status_label.setText(f"Epoch 1 of {dialog.epochs_total}{where}: first epoch, timing "
                                "its steps (reading the masks, then the first batch)…")  # fmt: skip


def show_step(dialog: RetrainDialog, event: dict[str, Any]) -> None:
    """A step of the held-out run: the share of every epoch's steps done, the ETA, the loss."""
    if "progress" in event and "steps" not in event:  # a time-budgeted trainer (clicks)
        show_budget_step(dialog, event)
        return
    steps = int(event.get("steps") or 0)
    epoch = int(event.get("epoch") or 1)
    step = int(event.get("step") or 0)
    if steps > 0 and dialog.epochs_total > 0:
        total = steps * dialog.epochs_total
        dialog.progress.setRange(0, total)
        dialog.progress.setValue(min(total, (epoch - 1) * steps + step))
    dialog.eta_label.setText(format_eta(event.get("eta_s")))
    dialog.status_label.setText(
        f"Epoch {epoch}/{dialog.epochs_total}, step {step}/{steps}, loss {format_figure(event.get('loss'))}"
    )


def show_refit_step(dialog: RetrainDialog, event: dict[str, Any]) -> None:
    """A step of the refit on every mask (after the held-out run chose its epochs)."""
    steps, epoch = int(event.get("steps") or 0), int(event.get("epoch") or 1)
    step, epochs = int(event.get("step") or 0), max(dialog.refit_epochs, epoch)
    if steps > 0:
        dialog.progress.setRange(0, steps * epochs)
        dialog.progress.setValue(min(steps * epochs, (epoch - 1) * steps + step))
    dialog.eta_label.setText(format_eta(event.get("eta_s")))
    dialog.status_label.setText(
        f"Refit on every mask: epoch {epoch}/{epochs}, step {step}/{steps}, "
        f"loss {format_figure(event.get('loss'))}"
    )


def show_budget_step(dialog: RetrainDialog, event: dict[str, Any]) -> None:
    """A step of a trainer that runs for its time budget: progress is the budget's share."""
    step = int(event.get("step") or 0)
    dialog.progress.setRange(0, 1000)
    dialog.progress.setValue(round(1000 * min(1.0, float(event.get("progress") or 0.0))))
    dialog.eta_label.setText(format_eta(event.get("eta_s")))
    loss = event.get("loss")
    if isinstance(loss, (int, float)):
        dialog.plot.add_left(float(step), float(loss))
    dialog.status_label.setText(f"Step {step}, loss {format_figure(loss)}")


def show_stage(dialog: RetrainDialog, message: str) -> None:
    """Work without steps (scoring both models, reading the masks for the refit): the bar turns
    busy, the ETA unknown, the status says what is being done."""
    dialog.progress.setRange(0, 0)
    dialog.eta_label.setText(format_eta(None))
    dialog.status_label.setText(message)


def show_val(dialog: RetrainDialog, event: dict[str, Any]) -> None:
    """A validation of the click trainer: NoC@90 (lower is better) on the right axis."""
    figures = event.get("figures") or {}
    val = figures.get(dialog.source_task) if isinstance(figures, dict) else None
    if not isinstance(val, dict) or not isinstance(val.get("noc90"), (int, float)):
        return
    if dialog.plot_metric is None:
        dialog.plot_metric = "noc90"
        dialog.plot.set_right_label("val NoC@90 (clicks)")
    dialog.plot.add_right(float(event.get("step") or 0), float(val["noc90"]))


def show_epoch(dialog: RetrainDialog, event: dict[str, Any]) -> None:
    """An epoch of the held-out run: its loss on the left axis, its val figure on the right."""
    epoch = float(event.get("epoch") or 0)
    loss = event.get("loss")
    if isinstance(loss, (int, float)):
        dialog.plot.add_left(epoch, float(loss))
    val = dialog.task_figures(event.get("val"))
    if dialog.plot_metric is None:
        dialog.plot_metric = next((m for m in PLOT_METRICS if m in val), None)
        if dialog.plot_metric is None:
            dialog.plot_metric = next(
                (k for k, v in val.items() if isinstance(v, (int, float))), None
            )
        if dialog.plot_metric is not None:
            dialog.plot.set_right_label(f"val {dialog.plot_metric}")
    value = val.get(dialog.plot_metric) if dialog.plot_metric else None
    if isinstance(value, (int, float)):
        dialog.plot.add_right(epoch, float(value))
    dialog.eta_label.setText(format_eta(event.get("eta_s")))
