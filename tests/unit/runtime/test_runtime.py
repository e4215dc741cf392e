"""Runtime helpers: progress bar, log file and crash hooks, child command, doctor, resources."""

from __future__ import annotations

import ctypes.util
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.resources import resource_path, resources_dir
from fashion_annotator.runtime import doctor, logs
from fashion_annotator.runtime.child import cli_command
from fashion_annotator.runtime.progress import ProgressBar

REPO = Path(__file__).resolve().parents[3]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    tty = _Tty()
    with ProgressBar("importing", stream=tty) as bar:
        for i in range(1, 5):
            bar.update(i, 4)
    text = tty.getvalue()
    assert text.startswith("\rimporting [") and text.endswith("\n")
    assert "4/4" in text and "#" * 30 in text
    piped = io.StringIO()
    with ProgressBar("importing", stream=piped) as bar:
        bar.update(1, 2)
        bar.update(2, 2)
    assert piped.getvalue() == ""


def test_progress_bar_text_has_an_eta_midway() -> None:
    bar = ProgressBar("evaluating", stream=io.StringIO(), enabled=True)
    bar.done, bar.total = 5, 20
    assert bar.render(10.0) == f"evaluating [{'#' * 7}{'.' * 23}] 5/20 eta 30 s  "


def test_log_file_rotates_and_excepthook_logs_then_calls_back(tmp_path) -> None:
    seen: list[tuple[str, Path | None]] = []
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    where = logs.setup_logging(tmp_path)
    try:
        assert where == tmp_path / logs.LOG_NAME and logs.log_file() == where
        handler = logs._state["handler"]
        assert handler.maxBytes == logs.MAX_BYTES and handler.backupCount == logs.BACKUPS
        logs.install_excepthook(lambda text, path: seen.append((text, path)))
        try:
            raise ValueError("broken photo")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        worker = threading.Thread(target=lambda: 1 / 0)
        worker.start()
        worker.join()
    finally:
        sys.excepthook, threading.excepthook = old_hook, old_thread_hook
        logs.teardown_logging()
    text = where.read_text()
    assert "ValueError: broken photo" in text and "ZeroDivisionError" in text
    assert [path for _, path in seen] == [where, where]
    assert "broken photo" in seen[0][0]


def test_a_path_that_is_not_utf8_is_logged_without_a_logging_error(tmp_path, capsys, monkeypatch) -> None:
    """Any command given such a path printed "--- Logging error ---" and a traceback, and its
    log line was lost: the log file's strict UTF-8 refused the path's surrogate escapes."""
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/Fotos_Gr\xfc\xdfe")
    try:
        main(["info", odd])
    finally:
        logs.teardown_logging()
    assert "Logging error" not in capsys.readouterr().err
    text = (tmp_path / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "fashion-annotator info " in text and "Fotos_Gr\\udcfc\\udcdfe" in text


def test_unwritable_log_folder_is_not_fatal(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert logs.setup_logging(blocker / "logs") is None
    assert logs.log_file() is None


def test_faulthandler_leaves_the_stack_of_a_hard_crash(tmp_path) -> None:
    code = (
        "import faulthandler\n"
        "from fashion_annotator.runtime.logs import setup_logging\n"
        f"setup_logging(__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "faulthandler._sigsegv()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))  # fmt: skip
    assert result.returncode != 0
    faults = (tmp_path / logs.FAULT_NAME).read_text()
    assert "Segmentation fault" in faults and "File" in faults


def test_child_command_is_frozen_aware(monkeypatch) -> None:
    assert cli_command() == [sys.executable, "-m", "fashion_annotator"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert cli_command() == [sys.executable]


def test_ldd_output_parsing_and_package_names() -> None:
    output = (
        "\tlibxcb-icccm.so.4 => not found\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x0001)\n"
        "\tlibxcb-keysyms.so.1 => not found\n\tlibxcb-icccm.so.4 => not found\n"
    )
    missing = doctor.parse_ldd_missing(output)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert doctor.packages_for([*missing, "libfoo_bar.so.2"]) == [
        "libxcb-icccm4", "libxcb-keysyms1", "libfoo-bar"
    ]  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux-only")
def test_missing_xcb_libraries_agree_with_the_dynamic_loader() -> None:
    missing = doctor.missing_xcb_libraries()
    for soname in doctor.XCB_PACKAGES:
        stem = soname.removeprefix("lib").split(".so")[0]
        if soname in missing:  # ldd and the loader agree that it is absent
            assert ctypes.util.find_library(stem) is None, soname


def test_gui_launch_prints_the_fix_instead_of_qt_abort(monkeypatch, capsys) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(doctor, "missing_xcb_libraries", lambda: ["libxcb-cursor.so.0"])
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith('fashion-annotator: error: the Qt platform plugin "xcb" cannot load')
    assert "sudo apt-get install libxcb-cursor0" in err
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert doctor.qt_platform_problem() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux-only")
def test_gui_launch_without_a_display_says_so_instead_of_qt_abort(monkeypatch, capsys) -> None:
    """Found in a new user's walk-through: over ssh without X, the window aborted (core dump,
    exit 134) with Qt's hint about libxcb-cursor0, which was installed."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(doctor, "missing_xcb_libraries", lambda: [])
    assert main([]) == 1
    assert capsys.readouterr().err.startswith("fashion-annotator: error: no display (DISPLAY unset)")
    monkeypatch.setenv("DISPLAY", ":4711")  # set, but no X server answers there
    monkeypatch.setattr(doctor, "x_display_opens", lambda: False)
    assert main([]) == 1
    assert "cannot open display :4711 (check DISPLAY, xauth or ssh -X)" in capsys.readouterr().err
    monkeypatch.setattr(doctor, "x_display_opens", lambda: True)
    assert doctor.qt_platform_problem() is None


def test_the_display_probe_connects_for_real(monkeypatch) -> None:
    """``x_display_opens`` asks libxcb: no server on display :4711 (True only where libxcb
    itself is missing, which the xcb library check reports instead)."""
    import ctypes.util

    monkeypatch.setenv("DISPLAY", ":4711")
    try:
        ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
        has_xcb = True
    except OSError:
        has_xcb = False
    assert doctor.x_display_opens() is (not has_xcb)


def test_doctor_reports_every_check_as_json(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    rc = main(["doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in report["checks"]]
    assert names == ["python", "torch", "resources", "qt xcb libraries", "qt platform plugin",
                     "data folder", "log folder", "free disk"]  # fmt: skip
    assert rc == (0 if report["ok"] else 1)
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["qt platform plugin"]["ok"], by_name["qt platform plugin"]  # offscreen starts
    assert by_name["data folder"]["ok"] and str(tmp_path / "data") in by_name["data folder"]["detail"]
    for check in report["checks"]:
        assert check["ok"] or check["fix"], check


def test_doctor_names_an_unwritable_data_folder(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    check = doctor.check_writable("data folder", blocker / "sub")
    assert not check.ok and str(blocker / "sub") in check.detail and "writable" in check.fix


def test_resources_come_from_this_source_tree() -> None:
    assert resources_dir() == REPO / "resources"
    assert resource_path("taxonomies", "garment.json").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert resource_path("icons", "app", f"fashion-annotator-{size}.png").is_file()


def test_a_mistyped_subcommand_or_extra_arguments_do_not_open_the_window(tmp_path, capsys) -> None:
    """Found in a new user's walk-through: ``infoo PROJECT`` opened the window on a "no such
    project" question, and the rest of the line was ignored."""
    assert main(["infoo", str(tmp_path)]) == 2
    assert "unknown subcommand 'infoo' (did you mean 'info'?)" in capsys.readouterr().err
    assert main([str(tmp_path), "extra"]) == 2
    assert "'extra' is left over" in capsys.readouterr().err
    # the start of a subcommand (`qa` for qa-report) opened the window on "no such project"
    assert main(["qa"]) == 2
    assert "unknown subcommand 'qa' (did you mean 'qa-report'?)" in capsys.readouterr().err


def test_doctor_names_shipped_models_that_are_lfs_pointers_or_missing(tmp_path) -> None:
    """It said "everything found" with the models as Git LFS pointers; proposals then failed."""
    import shutil

    from fashion_annotator.resources import resources_dir

    models = tmp_path / "models"
    shutil.copytree(resources_dir() / "models", models, ignore=shutil.ignore_patterns("instance*", "parsing18*"))
    assert doctor.unreadable_models(models) == []
    (models / "garment.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 15400000\n"
    )
    (models / "click.json").unlink()
    (models / "person.safetensors").write_bytes((models / "parsing7.safetensors").read_bytes()[:4000])
    (models / "parsing18.safetensors").write_text("version https://git-lfs.github.com/spec/v1\n")
    assert doctor.unreadable_models(models) == [
        "models/garment.safetensors (not a safetensors file)",
        "models/person.safetensors (not a safetensors file)",
        "models/click.json",
        "models/parsing18.json",
        "models/parsing18.safetensors (not a safetensors file)",
    ]
