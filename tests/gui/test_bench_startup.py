"""``bench startup`` and what it measured: the window's start-up imports no torch.

Importing torch (about 2.5 s on a 2-core machine) on the GUI thread, through the Instances dock's
classifier, the proposal source and the click model's task name, held the window back; the
proposal worker imports it now, while the window shows.
"""

from __future__ import annotations

import os
import subprocess
import sys

from fashion_annotator.cli import main


def _imported_after(module: str) -> list[str]:
    """The heavy packages in ``sys.modules`` after importing ``module`` in a fresh interpreter."""
    code = (f"import sys, {module}; "
            "print(' '.join(m for m in ('torch', 'safetensors') if m in sys.modules))")  # fmt: skip
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_main_window_module_does_not_import_torch():
    assert _imported_after("fashion_annotator.ui.main_window") == []


def test_bench_startup_prints_the_medians_of_each_milestone(tmp_path, capsys):
    """One launch of the window on the sample project (a subprocess: the app quits itself)."""
    out = tmp_path / "startup.json"
    assert main(["bench", "startup", "--runs", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sample (" in printed and "this checkout" in printed
    for milestone in ("window", "photo", "stroke", "proposal"):
        assert f"{milestone} " in printed
    text = out.read_text()
    for milestone in ("window", "photo", "stroke", "proposal"):
        assert f'"sample_new_{milestone}_s_median"' in text
