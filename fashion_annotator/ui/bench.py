"""``fashion-annotator bench ui``: stroke-to-repaint and image-switch latency of the real canvas.

The canvas runs offscreen and is driven with real ``QMouseEvent`` objects sent to its
viewport. A stroke sample is the time from sending one mouse-move event to the end of the
viewport paint it causes (bbox-local overlay update, scene dirty-rect processing, paint). The
baseline in the same run rebuilds the whole overlay and repaints the whole viewport per move,
which is what the bbox path avoids. An image switch sample is the photo's decode from disk (a
large JPEG's reduced preview, see :func:`_measure_switches`), a new ``AnnotationDocument``,
``Canvas.set_document`` and the first paint; ``switch_full`` adds the full-resolution decode
and its paint.

Photos: a shipped CCP sample (550 x ~830) and the same photo resized to the studio resolution
1152 x 1728 (width x height), written as JPEG to a temporary folder. With ``--size WxH``: two
synthetic photos of that size instead (smooth colour fields with edges, JPEG), the size of a
studio camera's frame (e.g. 8660x5770, 50 megapixels). Memory: the process's resident set
after the run and its peak. The Review table: refilled and re-sorted with 1,000 rows, its column
widths from the rows the tab measures against every row.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from fashion_annotator.ui.bench_review import SWITCH_MASKS, measure_review_switch

STUDIO_WH = (1152, 1728)
STROKE_MOVES = 150
SWITCHES = 12
#: Rows of the Review table measurement (a project of about 1,000 scored masks).
REVIEW_ROWS = 1000
#: Masked images of the project whose Review tab is shown again (:func:`.measure_review_switch`).
REVIEW_SWITCH_MASKS = SWITCH_MASKS
VIEW_WH = (1280, 900)
BRUSH_RADIUS = 15.0
GOAL_STROKE_MS, GOAL_SWITCH_MS = 16.0, 200.0
CLICKS = 8
GOAL_CLICK_MS = 100.0
# On a studio camera's frame (``--size 8660x5770``, 50 megapixels).
GOAL_LARGE_SWITCH_MS, GOAL_LARGE_RSS_MB = 500.0, 2048.0


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def _wait_painted(canvas, count: int, timeout_s: float = 2.0) -> None:
    """Process events until the viewport has painted after ``count`` paints."""
    from PySide6.QtWidgets import QApplication

    deadline = time.perf_counter() + timeout_s
    while canvas.paint_count <= count:
        QApplication.processEvents()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the canvas did not repaint within {timeout_s:g} s")


def _send_move(canvas, x: float, y: float) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    pos = canvas.view_pos(x, y)
    left = Qt.MouseButton.LeftButton
    kind = QEvent.Type.MouseMove
    event = QMouseEvent(
        kind, pos, QPointF(pos), Qt.MouseButton.NoButton, left, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(canvas.viewport(), event)


def _send_button(canvas, x: float, y: float, press: bool) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    pos = canvas.view_pos(x, y)
    left = Qt.MouseButton.LeftButton
    kind = QEvent.Type.MouseButtonPress if press else QEvent.Type.MouseButtonRelease
    buttons = left if press else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, pos, QPointF(pos), left, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.viewport(), event)


def _stroke_path(w: float, h: float, n: int, x0: float = 0.0, y0: float = 0.0) -> np.ndarray:
    """A wavy stroke across the middle of the ``w`` x ``h`` area at ``(x0, y0)``."""
    t = np.linspace(0.0, 1.0, n)
    x = x0 + w * (0.2 + 0.6 * t)
    y = y0 + h * (0.5 + 0.15 * np.sin(6 * np.pi * t))
    return np.stack([x, y], axis=1)


def _measure_strokes(canvas, doc, full_rebuild: bool, visible_only: bool = False) -> list[float]:
    h, w = doc.shape
    if visible_only:  # the stroke stays inside the view (zoomed in on a large photo)
        area = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
        x0, y0 = max(0.0, area.x()), max(0.0, area.y())
        path = _stroke_path(min(w, area.right()) - x0, min(h, area.bottom()) - y0,
                            STROKE_MOVES, x0, y0)  # fmt: skip
    else:
        path = _stroke_path(w, h, STROKE_MOVES)
    samples = []
    count = canvas.paint_count
    _send_button(canvas, float(path[0][0]), float(path[0][1]), press=True)
    _wait_painted(canvas, count)
    for x, y in path[1:]:
        count = canvas.paint_count
        t0 = time.perf_counter()
        _send_move(canvas, x, y)
        if full_rebuild:
            canvas.refresh_overlay(None)
            canvas.viewport().repaint()
        _wait_painted(canvas, count)
        samples.append((time.perf_counter() - t0) * 1e3)
    _send_button(canvas, float(path[-1][0]), float(path[-1][1]), press=False)
    doc.undo(canvas.task)
    canvas.refresh_overlay(None)
    return samples


def _measure_switches(canvas, paths: list[Path], taxonomy) -> tuple[list[float], list[float]]:
    """Switch between ``paths`` as the window does: ``(shown ms, full pixels ms)`` per switch.

    *Shown*: until the photo is painted and editable (for a large JPEG its preview, stretched
    over the full photo with full-size masks). *Full*: until the full-resolution pixels are
    decoded and painted in its place; the window decodes them in a worker thread while the
    operator already works, here they are decoded right after the preview's paint.
    """
    from fashion_annotator.core.document import AnnotationDocument
    from fashion_annotator.core.images import load_image, load_preview
    from fashion_annotator.ui.annotate.image_view import load_photo_pyramid

    shown, full = [], []
    for i in range(SWITCHES):
        path = paths[i % len(paths)]
        count = canvas.paint_count
        t0 = time.perf_counter()
        preview = load_preview(path)
        if preview is None:
            rgb, small = load_image(path).rgb, None
        else:
            rgb, small = np.zeros((*preview.shape, 3), np.uint8), preview.rgb
        mask = np.zeros(rgb.shape[:2], np.uint8)
        doc = AnnotationDocument(path.stem, rgb, {taxonomy.name: mask}, preview=small)
        canvas.set_document(doc, taxonomy.name, taxonomy)
        _wait_painted(canvas, count)
        shown.append((time.perf_counter() - t0) * 1e3)
        if not doc.photo_ready:
            count = canvas.paint_count
            image, pyramid = load_photo_pyramid(path)  # the window's photo worker's job
            doc.set_photo(image.rgb)
            canvas.show_photo(pyramid)
            canvas.viewport().update()
            _wait_painted(canvas, count)
        full.append((time.perf_counter() - t0) * 1e3)
    return shown, full


def _click_and_wait(canvas, x: float, y: float) -> None:
    """A left click at photo ``(x, y)`` pixels, returning once the canvas has repainted after
    it: Smart click repaints once before its model runs (the new marker), so the paint waited
    for is the one after the release (a pixel of it asked for, should the click change
    nothing)."""
    _send_button(canvas, x, y, press=True)
    _send_button(canvas, x, y, press=False)
    count = canvas.paint_count
    canvas.viewport().update(0, 0, 1, 1)
    _wait_painted(canvas, count, timeout_s=20.0)


def _measure_clicks(canvas, doc, box: bool = False) -> tuple[list[float], list[float]] | None:
    """Smart clicks on ``doc``: (press-to-repaint ms, model update ms) per click.

    None when no click model is available. A click session, undone afterwards: without ``box``
    a first positive click at the centre, on the proposed object, which takes it (not timed: no
    network runs), then :data:`CLICKS` positive clicks just outside the proposal's ellipse, each
    a correction the network makes; with ``box`` a box dragged around the middle of the photo
    (not timed) and :data:`CLICKS` clicks inside it (on a plain backdrop they also re-run
    GrabCut with the clicks as seeds). Without a proposal, the document gets an ellipse in the
    middle as its proposal during the session (as in the window, where the proposal guides
    every click), and loses it afterwards.
    """
    from fashion_annotator.annotate.tools.smartclick import shared_click_predictor

    if shared_click_predictor() is None:
        return None
    h, w = doc.shape
    had_proposal = doc.proposal(canvas.task) is not None
    if not had_proposal:
        yy, xx = np.ogrid[:h, :w]
        inside = ((yy - h / 2) / (0.35 * h)) ** 2 + ((xx - w / 2) / (0.3 * w)) ** 2 <= 1
        doc.set_proposal(canvas.task, (inside * canvas.label).astype(np.uint8))
    canvas.set_tool("smartclick")
    if box:
        _send_button(canvas, 0.25 * w, 0.15 * h, press=True)
        for t in np.linspace(0.0, 1.0, 6)[1:]:
            _send_move(canvas, (0.25 + 0.5 * t) * w, (0.15 + 0.7 * t) * h)
        _send_button(canvas, 0.75 * w, 0.85 * h, press=False)
    else:
        _click_and_wait(canvas, 0.5 * w, 0.5 * h)
    rx, ry = (0.15, 0.25) if box else (0.33, 0.385)  # without a box: 1.1x the ellipse's radii
    total, model = [], []
    for i in range(CLICKS):
        angle = 2 * np.pi * i / CLICKS
        x, y = w * (0.5 + rx * np.cos(angle)), h * (0.5 + ry * np.sin(angle))
        t0 = time.perf_counter()
        _click_and_wait(canvas, x, y)
        total.append((time.perf_counter() - t0) * 1e3)
        model.append(canvas._tool.last_ms or 0.0)
    while doc.can_undo(canvas.task):
        doc.undo(canvas.task)
    if not had_proposal:
        doc.set_proposal(canvas.task, None)
    canvas.refresh_overlay(None)
    canvas.set_tool("brush")
    return total, model


def _measure_review_table(n: int, runs: int = 5) -> dict:
    """The Review table refilled and re-sorted with ``n`` rows, its column widths taken from
    :data:`~fashion_annotator.ui.review.view.SIZE_SAMPLE_ROWS` rows as the tab does, against every
    row (Qt's default up to 1,000; the baseline, measured in the same run)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHeaderView, QTableView

    from fashion_annotator.qa.scores import ImageScore
    from fashion_annotator.ui.review.table import SCORE_COLUMN, ScoreFilter, ScoreTableModel
    from fashion_annotator.ui.review.view import SIZE_SAMPLE_ROWS

    app = _app()
    rng = np.random.default_rng(0)
    rows = [
        ImageScore(i, f"shoot-{i:05d}.jpg", "garment", "done", "operator", 60.0, 12, 1, 0.0,
                   score=float(rng.uniform(0.8, 1.0)), pixel_accuracy=float(rng.uniform(0.9, 1.0)))
        for i in range(n)
    ]  # fmt: skip
    outliers = np.zeros(n, bool)
    model, proxy, table = ScoreTableModel(), ScoreFilter(), QTableView()
    proxy.setSourceModel(model)
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.resize(900, 500)
    table.show()
    out: dict = {"review_table_rows": n, "review_table_sample_rows": SIZE_SAMPLE_ROWS}
    for key, precision in (("", SIZE_SAMPLE_ROWS), ("_all_rows", n)):
        table.horizontalHeader().setResizeContentsPrecision(precision)
        refill, resort = [], []
        for i in range(runs):
            start = time.perf_counter()
            model.set_rows(rows, outliers, "Dice")
            app.processEvents()
            refill.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            table.sortByColumn(SCORE_COLUMN, Qt.SortOrder(i % 2))
            app.processEvents()
            resort.append((time.perf_counter() - start) * 1000)
        out[f"review_table_refill{key}_ms_median"] = _median(refill)
        out[f"review_table_sort{key}_ms_median"] = _median(resort)
    table.close()
    return out


def _backdrop_photo(src: Path, dst: Path) -> Path:
    """A studio-sized photo on a plain light backdrop: the middle of ``src`` as the subject."""
    from PIL import Image

    w, h = STUDIO_WH
    with Image.open(src) as im:
        im = im.convert("RGB")
        sw, sh = im.size
        subject = im.crop((sw // 4, sh // 6, 3 * sw // 4, 5 * sh // 6)).resize((w // 2, 2 * h // 3))
    canvas = Image.new("RGB", (w, h), (236, 236, 234))
    canvas.paste(subject, (w // 4, h // 6))
    canvas.save(dst, quality=92)
    return dst


def _photos(folder: Path) -> dict[str, list[Path]]:
    """Two CCP sample photos, their studio-resolution versions and plain-backdrop composites."""
    from PIL import Image

    from fashion_annotator.resources import resource_path

    samples = sorted(resource_path("sample").glob("*.jpg"))[:2]
    if len(samples) < 2:
        raise FileNotFoundError(f"need two sample photos in {resource_path('sample')}")
    studio = []
    for src in samples:
        dst = folder / f"studio_{src.stem}.jpg"
        with Image.open(src) as im:
            im.convert("RGB").resize(STUDIO_WH, Image.Resampling.LANCZOS).save(dst, quality=92)
        studio.append(dst)
    backdrop = [_backdrop_photo(src, folder / f"backdrop_{src.stem}.jpg") for src in samples]
    return {"ccp": samples, "studio": studio, "backdrop": backdrop}


def synthetic_photos(folder: Path, width: int, height: int, n: int = 2) -> list[Path]:
    """``n`` JPEG photos of ``width`` x ``height``: smooth colour fields with sharp edges."""
    import cv2

    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        small = rng.integers(0, 256, (max(2, height // 256), max(2, width // 256), 3), np.uint8)
        rgb = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        cv2.rectangle(rgb, (width // 4, height // 5), (width * 3 // 4, height * 4 // 5),
                      (200, 40 * (i + 1), 60), thickness=max(4, width // 200))  # fmt: skip
        path = folder / f"synthetic_{width}x{height}_{i}.jpg"
        if not cv2.imwrite(str(path), rgb, [cv2.IMWRITE_JPEG_QUALITY, 90]):
            raise OSError(f"{path}: could not write the synthetic photo")
        out.append(path)
    return out


def memory_mb() -> tuple[float, float]:
    """``(resident, peak resident)`` memory of this process in MiB (Linux ``/proc``)."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return float("nan"), float("nan")
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    kib = {k: float(fields[k].split()[0]) for k in ("VmRSS", "VmHWM") if k in fields}
    return kib.get("VmRSS", float("nan")) / 1024, kib.get("VmHWM", float("nan")) / 1024


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main(json_out: Path | None = None, size: tuple[int, int] | None = None) -> dict:
    """Measure the canvas and print the medians; optionally write them as JSON.

    Parameters
    ----------
    json_out : Path or None
        Where to write the results.
    size : (width, height), optional
        Measure two synthetic photos of this size (key prefix ``size``) instead of the CCP
        and studio photos.

    Returns
    -------
    dict
        ``stroke_ms_median`` and ``switch_ms_median`` (worst of the two resolutions), and per
        resolution ``<res>_stroke_ms_median``, ``<res>_stroke_ms_p95``,
        ``<res>_stroke_full_rebuild_ms_median`` (baseline), ``<res>_stroke_speedup``,
        ``<res>_switch_ms_median`` (until the photo, or its preview, is shown and editable),
        ``<res>_switch_full_ms_median`` (until the full pixels are shown),
        ``<res>_shape`` (strokes at fit-to-window zoom) and
        ``<res>_1x_stroke_ms_median`` (at one screen pixel per image pixel),
        ``<res>_max_brush_stroke_ms_median`` (the largest brush, 1,000 px); with a click model,
        ``<res>_click_ms_median`` (Smart click: press to repaint) and
        ``<res>_click_model_ms_median`` (the click model's update alone), ``click_ms_median``
        (studio; None without a click model), ``box_click_ms_median`` (clicks inside a box on the
        plain-backdrop ``backdrop`` photos, with ``backdrop_box_click_model_ms_median``); plus
        the goals, the view size, ``rss_mb`` and ``peak_rss_mb``; and the Review table with 1,000
        rows: ``review_table_refill_ms_median``, ``review_table_sort_ms_median`` and their
        ``_all_rows`` baselines (every row measured for the column widths), and the Review tab
        shown again on a real 700-mask project (:func:`~fashion_annotator.ui.bench_review.
        measure_review_switch`: ``review_switch_ms_median``, ``review_switch_changed_ms_median``);
        with the CCP and
        studio photos, the real window's longest GUI stall per image switch
        (:func:`~fashion_annotator.ui.bench_window.measure_window_stalls`). ``res`` is ``ccp``, ``studio``
        (1152x1728) and ``backdrop`` (1152x1728, the subject on a plain backdrop).
    """
    app = _app()
    from fashion_annotator.core.labels import load_taxonomy
    from fashion_annotator.ui.annotate.canvas import MAX_RADIUS, Canvas

    taxonomy = load_taxonomy("parsing7")
    canvas = Canvas()
    canvas.resize(*VIEW_WH)
    canvas.show()
    app.processEvents()
    canvas.set_tool("brush")
    canvas.set_label(3)
    canvas.set_brush_radius(BRUSH_RADIUS)
    results: dict = {"view_wh": list(VIEW_WH), "brush_radius": BRUSH_RADIUS}
    with tempfile.TemporaryDirectory(prefix="fa-bench-ui-") as tmp:
        sets = _photos(Path(tmp)) if size is None else {"size": synthetic_photos(Path(tmp), *size)}
        for res, paths in sets.items():
            switch, switch_full = _measure_switches(canvas, paths, taxonomy)
            doc = canvas.document
            assert doc is not None, "the canvas shows no document after the switches"
            canvas.fit_to_window()
            stroke = _measure_strokes(canvas, doc, full_rebuild=False)
            # The whole-overlay baseline takes seconds per move on a large photo; skipped there.
            baseline = _measure_strokes(canvas, doc, full_rebuild=True) if size is None else stroke
            results[f"{res}_shape"] = list(doc.shape)
            results[f"{res}_stroke_ms_median"] = _median(stroke)
            results[f"{res}_stroke_ms_p95"] = round(float(np.percentile(stroke, 95)), 3)
            results[f"{res}_stroke_full_rebuild_ms_median"] = _median(baseline)
            results[f"{res}_stroke_speedup"] = round(_median(baseline) / _median(stroke), 2)
            results[f"{res}_switch_ms_median"] = _median(switch)
            results[f"{res}_switch_full_ms_median"] = _median(switch_full)
            # The operator zoomed in to 1:1 pixels, centred on the stroke.
            canvas.resetTransform()
            canvas.centerOn(doc.shape[1] / 2, doc.shape[0] / 2)
            results[f"{res}_1x_stroke_ms_median"] = _median(
                _measure_strokes(canvas, doc, full_rebuild=False, visible_only=True)
            )
            # The largest brush the window allows, the whole photo in view.
            canvas.fit_to_window()
            canvas.set_brush_radius(MAX_RADIUS)
            results[f"{res}_max_brush_stroke_ms_median"] = _median(
                _measure_strokes(canvas, doc, full_rebuild=False)
            )
            canvas.set_brush_radius(BRUSH_RADIUS)
            # Clicks land where the operator sees the photo: back to the whole photo in view
            # (at 1:1 on a large photo most click positions are off screen and never repaint).
            canvas.fit_to_window()
            try:
                clicks = _measure_clicks(canvas, doc)
            except RuntimeError as exc:  # a click model too slow for this photo size
                results[f"{res}_click_error"] = str(exc)
                clicks = None
            if clicks is not None:
                results[f"{res}_click_ms_median"] = _median(clicks[0])
                results[f"{res}_click_model_ms_median"] = _median(clicks[1])
            if res == "backdrop" and clicks is not None:
                box_clicks = _measure_clicks(canvas, doc, box=True)
                if box_clicks is not None:
                    results["backdrop_box_click_ms_median"] = _median(box_clicks[0])
                    results["backdrop_box_click_model_ms_median"] = _median(box_clicks[1])
        canvas.close()
        if size is None:  # the real window on the CCP and studio photos, shipped models
            from fashion_annotator.ui.bench_window import measure_window_stalls

            results.update(measure_window_stalls(sets["ccp"] + sets["studio"], Path(tmp)))
    results.update(_measure_review_table(REVIEW_ROWS))
    results.update(measure_review_switch(REVIEW_SWITCH_MASKS))
    results["stroke_ms_median"] = max(
        results[f"{res}{zoom}_stroke_ms_median"] for res in sets for zoom in ("", "_1x")
    )
    results["switch_ms_median"] = max(results[f"{res}_switch_ms_median"] for res in sets)
    results["switch_full_ms_median"] = max(results[f"{res}_switch_full_ms_median"] for res in sets)
    results["rss_mb"], results["peak_rss_mb"] = (round(v, 1) for v in memory_mb())
    results["goal_stroke_ms"] = GOAL_STROKE_MS
    results["goal_switch_ms"] = GOAL_SWITCH_MS if size is None else GOAL_LARGE_SWITCH_MS
    if size is not None:
        results["goal_rss_mb"] = GOAL_LARGE_RSS_MB
    results["click_ms_median"] = results.get("studio_click_ms_median")
    results["box_click_ms_median"] = results.get("backdrop_box_click_ms_median")
    results["goal_click_ms"] = GOAL_CLICK_MS
    for key, value in results.items():
        print(f"{key:40s} {value}")
    if json_out is not None:
        Path(json_out).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
