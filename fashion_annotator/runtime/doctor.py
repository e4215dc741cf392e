"""Environment checks of ``fashion-annotator doctor``; each names what is missing and the fix.

Checks: Python version, torch (build, version, device), the shipped resources, the Qt platform
plugin (on Linux the xcb libraries it links, found with ``ldd``, and a real start of the plugin
in a child process), write access to the data and log folders, and free disk space.
:func:`qt_platform_problem` is also what the GUI launch prints instead of Qt's own message.
"""

from __future__ import annotations

import ctypes.util
import errno
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from fashion_annotator.runtime.child import cli_command
from fashion_annotator.runtime.paths import app_data_dir, log_dir

MIN_PYTHON = (3, 10)
MIN_FREE_BYTES = 1 << 30
PROBE_TIMEOUT_S = 60

#: Debian/Ubuntu package of each library the Qt xcb plugin needs that minimal systems lack.
XCB_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
#: Loaded by the xcb plugin at run time (dlopen), so ``ldd`` does not list it.
XCB_DLOPENED = ("libxcb-cursor.so.0",)
#: The one-line install the README gives for Debian and Ubuntu.
XCB_APT_LINE = (
    "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libfontconfig1 "
    "libdbus-1-3"
)


@dataclass(frozen=True)
class Check:
    """One check: ``ok``, what was found (``detail``) and, when not ok, the ``fix``."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """``[ok] name: detail`` or ``[MISSING] name: detail -> fix``."""
        if self.ok:
            return f"[ok] {self.name}: {self.detail}"
        return f"[MISSING] {self.name}: {self.detail}\n    fix: {self.fix}"

    def as_dict(self) -> dict[str, object]:
        """The check as a JSON-ready dict."""
        return asdict(self)


def check_python() -> Check:
    """Python at least :data:`MIN_PYTHON`."""
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    need = ".".join(map(str, MIN_PYTHON))
    return Check("python", ok, f"{version} ({sys.executable})", f"install Python {need} or newer")


def check_torch() -> Check:
    """torch imports; its version, build (CPU or CUDA) and the device inference will use."""
    try:
        import torch
    except ImportError as exc:
        return Check(
            "torch", False, f"cannot import torch: {exc}",
            "pip install -c constraints.txt torch (the CPU build is enough)",
        )  # fmt: skip
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU build"
    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)})"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu"
    return Check("torch", True, f"{torch.__version__}, {build}, device {device}")


def check_resources() -> Check:
    """The shipped taxonomies, models, icons and sample photos are found."""
    from fashion_annotator.resources import ResourcesNotFoundError, resources_dir

    try:
        root = resources_dir()
    except ResourcesNotFoundError as exc:
        return Check("resources", False, str(exc), "reinstall fashion-annotator")
    missing = [
        name
        for name in ("taxonomies/garment.json", "models/garment.safetensors", "icons", "sample")
        if not (root / name).exists()
    ]
    missing += unreadable_models(root / "models")
    if missing:
        return Check(
            "resources", False, f"{root}: missing {', '.join(missing)}",
            "reinstall fashion-annotator (a git checkout: `git lfs pull` if the models are LFS pointers)",
        )  # fmt: skip
    return Check("resources", True, str(root))


#: The shipped models every proposal needs (the window proposes each task's).
SHIPPED_MODELS = ("garment", "person", "parsing7", "click")


def unreadable_models(folder: Path) -> list[str]:
    """``models/NAME...`` of each shipped model (:data:`SHIPPED_MODELS` and every other
    ``.safetensors`` there) whose weights or meta are absent or not what they should be (a Git LFS pointer, a file cut short): the header of a safetensors file is
    an 8-byte little-endian length and then that much JSON."""
    bad = []
    names = dict.fromkeys([*SHIPPED_MODELS, *sorted(p.stem for p in folder.glob("*.safetensors"))])
    for name in names:  # every shipped file, the ones every proposal needs first
        weights, meta = folder / f"{name}.safetensors", folder / f"{name}.json"
        if not meta.is_file():
            bad.append(f"models/{meta.name}")
        try:
            with weights.open("rb") as fh:
                head = fh.read(9)
                size = weights.stat().st_size
        except OSError:
            bad.append(f"models/{weights.name}")
            continue
        length = int.from_bytes(head[:8], "little") if len(head) == 9 else 0
        if not (head[8:9] == b"{" and 0 < length <= size - 8):
            bad.append(f"models/{weights.name} (not a safetensors file)")
    return bad


def qt_plugin_dir() -> Path | None:
    """The ``platforms/`` folder of the installed PySide6, or None without PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms"
    return folder if folder.is_dir() else None


def parse_ldd_missing(ldd_output: str) -> list[str]:
    """Library names that ``ldd`` reports as ``not found``, in order, without repeats."""
    missing: list[str] = []
    for line in ldd_output.splitlines():
        if "=> not found" in line:
            name = line.split("=>")[0].strip()
            if name not in missing:
                missing.append(name)
    return missing


def missing_xcb_libraries() -> list[str]:
    """Libraries the Qt xcb plugin needs that this Linux system lacks (empty elsewhere).

    Runs ``ldd`` on the plugin and on ``libQt6XcbQpa`` and looks up the libraries the plugin
    loads at run time.
    """
    if not sys.platform.startswith("linux"):
        return []
    plugins = qt_plugin_dir()
    if plugins is None or not (plugins / "libqxcb.so").is_file():
        return []
    targets = [plugins / "libqxcb.so", *sorted((plugins.parent.parent / "lib").glob("libQt6XcbQpa.so*"))]
    missing: list[str] = []
    if shutil.which("ldd"):
        for target in targets:
            result = subprocess.run(
                ["ldd", str(target)], capture_output=True, text=True, check=False
            )
            missing += [n for n in parse_ldd_missing(result.stdout) if n not in missing]
    for soname in XCB_DLOPENED:
        stem = soname.removeprefix("lib").split(".so")[0]
        if ctypes.util.find_library(stem) is None and soname not in missing:
            missing.append(soname)
    return missing


def packages_for(libraries: list[str]) -> list[str]:
    """The Debian/Ubuntu packages that provide ``libraries`` (a guess from the name if unknown)."""
    packages = []
    for name in libraries:
        package = XCB_PACKAGES.get(name) or name.split(".so")[0].lower().replace("_", "-")
        if package not in packages:
            packages.append(package)
    return packages


def would_use_xcb() -> bool:
    """Whether Qt will pick its xcb plugin: Linux, no other platform asked for, no Wayland."""
    if not sys.platform.startswith("linux"):
        return False
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    wayland = os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland"
    return not wayland


def x_display_opens() -> bool:
    """Whether the X display in ``DISPLAY`` accepts a connection (``xcb_connect`` through
    ctypes, a few milliseconds); True when libxcb cannot be loaded (then the missing library is
    the problem to report). A display set but unreachable (a stale ``ssh -X``, no xauth) made
    Qt abort."""
    try:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
    except OSError:
        return True
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(None, None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection:
            xcb.xcb_disconnect(connection)


def qt_platform_problem() -> str | None:
    """Why the GUI cannot start with the xcb plugin, with the fix: a library missing, or no
    display to open the window on (unset, or set but unreachable); None when nothing is missing.

    Only looked at when Qt would use xcb (:func:`would_use_xcb`).
    """
    if not would_use_xcb():
        return None
    missing = missing_xcb_libraries()
    if missing:
        return (
            f"the Qt platform plugin \"xcb\" cannot load: missing {', '.join(missing)}.\n"
            f"Install them (Debian/Ubuntu): sudo apt-get install {' '.join(packages_for(missing))}\n"
            "or run without a display with QT_QPA_PLATFORM=offscreen; "
            "`fashion-annotator doctor` checks everything."
        )
    # Qt would abort with a hint about libxcb-cursor0 (installed)
    display = os.environ.get("DISPLAY", "")
    if not display and not os.environ.get("WAYLAND_DISPLAY"):
        why = "no display (DISPLAY unset)"
    elif display and not x_display_opens():
        why = f"cannot open display {display} (check DISPLAY, xauth or ssh -X)"
    else:
        return None
    return (f"{why}: run the window on a desktop, or over ssh -X; scripts and tests can use "
            "QT_QPA_PLATFORM=offscreen. Subcommands need no display.")  # fmt: skip


def check_xcb() -> Check:
    """Linux: the libraries of the Qt xcb plugin are installed."""
    if not sys.platform.startswith("linux"):
        return Check("qt xcb libraries", True, f"not needed on {sys.platform}")
    missing = missing_xcb_libraries()
    if missing:
        return Check(
            "qt xcb libraries", False, "missing " + ", ".join(missing),
            "sudo apt-get install " + " ".join(packages_for(missing)),
        )  # fmt: skip
    return Check("qt xcb libraries", True, "all found")


def probe_qt(platform: str) -> tuple[bool, str]:
    """Start a ``QGuiApplication`` on ``platform`` in a child process
    (:func:`fashion_annotator.ui.qt_probe.run_probe`, so this module never imports Qt).

    Returns
    -------
    (bool, str)
        Whether it started, and the child's last line of output.
    """
    command = [*cli_command(), "doctor", "--probe-qt", platform]
    env = dict(os.environ, QT_QPA_PLATFORM=platform)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    lines = (result.stdout + result.stderr).strip().splitlines()
    return result.returncode == 0, lines[-1] if lines else f"exit code {result.returncode}"


def check_qt_plugin() -> Check:
    """The platform plugin the GUI would use starts (offscreen as a fallback check)."""
    if importlib.util.find_spec("PySide6") is None:
        return Check("qt platform plugin", False, "PySide6 is not installed",
                     "pip install -c constraints.txt fashion-annotator")  # fmt: skip
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if would_use_xcb() and not display:
        ok, detail = probe_qt("offscreen")
        return Check(
            "qt platform plugin", ok,
            f"no display (DISPLAY unset); offscreen plugin: {detail}",
            "" if ok else "reinstall PySide6-Essentials",
        )  # fmt: skip
    platform = os.environ.get("QT_QPA_PLATFORM") or ("xcb" if would_use_xcb() else "")
    ok, detail = probe_qt(platform) if platform else (True, "default platform plugin")
    fix = "" if ok else (qt_platform_problem() or "run `fashion-annotator doctor` on the display")
    return Check("qt platform plugin", ok, detail, fix)


def check_writable(name: str, folder: Path) -> Check:
    """``folder`` can be created and written (a full disk is named as such: its fix said "make
    the folder writable")."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".doctor-write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        fix = (f"free some space on the disk of {folder}" if exc.errno in (errno.ENOSPC, errno.EDQUOT)
               else f"make {folder} writable for this user")  # fmt: skip
        return Check(name, False, f"{folder}: {exc}", fix)
    return Check(name, True, f"{folder} writable")


def check_log_folder(folder: Path) -> Check:
    """The log folder can be written, and so can the log files already in it (one left by a
    run under ``sudo`` belongs to root: the folder passed, the program ran without a log, and
    the check said everything was found)."""
    from fashion_annotator.runtime.logs import FAULT_NAME, LOG_NAME

    check = check_writable("log folder", folder)
    if not check.ok:
        return check
    for name in (LOG_NAME, FAULT_NAME):
        try:
            with open(folder / name, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            return Check("log folder", False, f"{folder / name}: {exc}",
                         f"remove {folder / name}, or make it a file this user can write "
                         "(one made by a run under sudo belongs to root)")  # fmt: skip
    return check


def check_disk(folder: Path) -> Check:
    """At least :data:`MIN_FREE_BYTES` free on the data folder's disk."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    ok = free >= MIN_FREE_BYTES
    detail = f"{free / 2**30:.1f} GiB free at {existing}"
    return Check("free disk", ok, detail, "free some space (projects keep every mask version)")


def run_checks(probe: bool = True) -> list[Check]:
    """Every check, in the order printed; ``probe=False`` skips starting Qt in a child."""
    checks = [check_python(), check_torch(), check_resources(), check_xcb()]
    if probe:
        checks.append(check_qt_plugin())
    data = app_data_dir()
    checks += [check_writable("data folder", data), check_log_folder(log_dir())]
    checks.append(check_disk(data))
    return checks
