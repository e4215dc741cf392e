"""The command line's contract: version, exit codes, error lines, Ctrl+C, lazy torch, logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fashion_annotator import __version__
from fashion_annotator.cli import main
from fashion_annotator.commands import project as project_commands
from fashion_annotator.dataset import formats
from fashion_annotator.runtime import logs
from fashion_annotator.runtime.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "resources" / "sample"


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), FA_LOG_DIR=str(tmp_path / "logs"))


def _cli(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fashion_annotator", *args], capture_output=True, text=True,
        env=_env(tmp_path), cwd=tmp_path, timeout=timeout, check=False,
    )  # fmt: skip


def test_version_flag_prints_the_package_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fashion-annotator {__version__}"


def test_usage_errors_stay_2_and_errors_are_1_with_the_argparse_format(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["new", str(tmp_path / "p")])  # --images missing
    assert exit_info.value.code == EXIT_USAGE
    assert "fashion-annotator new: error: the following arguments are required: --images" in (
        capsys.readouterr().err
    )
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path / "none")]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert captured.err == f"fashion-annotator new: error: {tmp_path / 'none'}: not a folder of photos\n"
    assert captured.out == ""
    assert main(["info", str(tmp_path / "nowhere")]) == EXIT_ERROR
    assert capsys.readouterr().err.startswith("fashion-annotator info: error: ")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["evaluate", "--task", "garment", "--limit", "-1"], "--limit: must be at least 1, got -1"),
        (["bench", "generalize", "--limit", "0"], "--limit: must be at least 1, got 0"),
        (["evaluate", "--task", "instances", "--json", "{tmp}"], "is a folder; name a file to write"),
        (["bench", "infer", "--runs", "0"], "--runs: must be at least 1, got 0"),
        (["evaluate", "--task", "garment", "--json", "{tmp}/a.txt/x.json"], "a.txt is not a folder"),
        (["qa-report", "{tmp}", "--out", "r.html", "--csv", "{tmp}/a.txt/r.csv"], "a.txt is not a folder"),
        # a missing dataset folder was reported as a missing taxonomies.json (a fresh user's README walk)
        (["evaluate", "--task", "garment", "--data", "{tmp}/nowhere"], "nowhere: no such folder"),
        (["bench", "noc", "--task", "garment", "--data", "{tmp}/nowhere"], "tests/fixtures/ccp_small"),
        (["bench", "studio", "--data", "{tmp}/nowhere", "--out", "{tmp}/o"], "nowhere: no such folder"),
        # a CLI test: a file was called "no such folder"
        (["evaluate", "--task", "garment", "--data", "{tmp}/a.txt"], "a.txt: a file, not a folder"),
        # a fuzz: --minutes -1 made the project at --url, then failed
        (["bench", "team", "--url", "{tmp}/team", "--minutes", "-1"], "--minutes: must be a positive number, got -1"),
        (["bench", "team", "--url", "{tmp}/team", "--minutes", "nan"], "--minutes: must be a positive number, got nan"),
        (["bench", "team", "--url", "{tmp}/team", "--crash-every-s", "0"], "--crash-every-s: must be a positive number"),
        (["bench", "team", "--url", "{tmp}/team", "--think-s", "-2"], "--think-s: must be 0 or more, got -2"),
        (["bench", "loop", "--task", "garment", "--data", "{tmp}", "--json", "{tmp}/l.json",
          "--minutes-per-round", "0"], "--minutes-per-round: must be a positive number, got 0"),
    ],
)
def test_numbers_and_output_files_are_checked_before_any_work(tmp_path, capsys, args, words) -> None:
    """A negative --limit dropped the last photos (exit 0); a --json that could not be written
    failed after the whole evaluation, its figures lost."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    (tmp_path / "a.txt").write_text("a file where a folder is meant")
    if (args[0] == "evaluate" or args[:2] == ["bench", "generalize"]) and "--data" not in args:
        args += ["--data", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == EXIT_USAGE
    assert words in capsys.readouterr().err
    assert not (tmp_path / "team").exists()


def test_a_model_folder_is_not_called_a_missing_model_file(tiny_dataset, tmp_path, capsys) -> None:
    """A CLI test: ``evaluate --model DIR`` said "model file does not exist"."""
    args = ["evaluate", "--data", str(tiny_dataset), "--task", "garment", "--model", str(tmp_path)]
    assert main(args) == EXIT_ERROR
    assert f"{tmp_path}: a folder, not a model file" in capsys.readouterr().err


def test_flags_an_instance_evaluation_does_not_use_are_refused(tmp_path, capsys) -> None:
    """They were silently ignored (exit 0), so a figure seemed to be of settings it was not."""
    base = ["evaluate", "--data", str(tmp_path), "--task", "instances"]
    assert main([*base, "--cutouts", "garment,person", "--refine"]) == EXIT_ERROR
    assert "--cutouts, --refine: not used with --task instances" in capsys.readouterr().err
    assert main([*base, "--ground-truth-parsing", "--parsing-model", str(tmp_path / "m.safetensors")]) == EXIT_ERROR
    assert "--parsing-model: not used with --ground-truth-parsing" in capsys.readouterr().err
    assert main([*base, "--ground-truth-parsing", "--no-flip-average", "--crop-pass"]) == EXIT_ERROR
    assert "--flip-average, --crop-pass: not used with --ground-truth-parsing" in capsys.readouterr().err


def test_train_errors_go_to_stderr_and_json_only_when_asked(tmp_path, capsys) -> None:
    args = ["train", "--data", str(tmp_path), "--task", "garment", "--out", str(tmp_path / "o")]
    assert main(args) == EXIT_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("fashion-annotator train: error: ")
    assert main([*args, "--json-progress"]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["event"] == "error"
    assert "fashion-annotator train: error: " in captured.err
    assert main(["train", "--data", str(tmp_path), "--task", "garment"]) == EXIT_USAGE
    assert "--out is required with --data" in capsys.readouterr().err


def test_train_init_names_a_missing_model_file(tiny_dataset, tmp_path, capsys) -> None:
    """A CLI test: ``train --init missing.safetensors`` blamed ``missing.json``."""
    missing = tmp_path / "missing.safetensors"
    args = ["train", "--data", str(tiny_dataset), "--task", "garment", "--out", str(tmp_path / "o"),
            "--epochs", "1", "--model-size", "tiny", "--input-size", "32", "32", "--init", str(missing)]  # fmt: skip
    assert main(args) == EXIT_ERROR
    err = capsys.readouterr().err
    assert f"{missing}: model file does not exist" in err and "missing.json" not in err, err


def test_interrupt_ends_a_command_with_one_line_and_130(tmp_path, monkeypatch, capsys) -> None:
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("fashion_annotator.dataset.store.Project.open", interrupted)
    assert main(["info", str(tmp_path)]) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.strip() == "fashion-annotator: interrupted" and "Traceback" not in err


def test_unexpected_error_is_one_line_with_the_traceback_in_the_log(
    tmp_path, monkeypatch, capsys
) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("fashion_annotator.dataset.store.Project.open", broken)
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    try:
        assert main(["info", str(tmp_path)]) == EXIT_ERROR
        log_file = logs.log_file()
    finally:
        logs.teardown_logging()
    err = capsys.readouterr().err
    assert err.strip() == f"fashion-annotator: error: RuntimeError: boom (traceback in {log_file})"
    text = log_file.read_text()
    assert "Traceback" in text and "RuntimeError: boom" in text


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_on_a_real_process(tmp_path) -> None:
    """SIGINT to a running `bench save`: exit 130, one line, no traceback."""
    # As a terminal's foreground job: a suite started in the background by a non-interactive
    # shell (as CI may) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
    proc = subprocess.Popen(
        [sys.executable, "-m", "fashion_annotator", "bench", "save", "--runs", "1000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
        cwd=tmp_path, preexec_fn=_sigint_default,
    )  # fmt: skip
    log_file = tmp_path / "logs" / logs.LOG_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "bench save" not in (
        log_file.read_text() if log_file.exists() else ""
    ):
        time.sleep(0.2)
    time.sleep(1.0)  # inside the command's loop
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "fashion-annotator: interrupted"
    assert "Traceback" not in err


def test_help_and_info_do_not_import_torch(tmp_path) -> None:
    project = tmp_path / "p"
    assert _cli(tmp_path, "new", str(project), "--images", str(SAMPLE)).returncode == 0
    probe = (
        "import sys; from fashion_annotator.cli import main; "
        "rc = main(sys.argv[1:]); print('torch' in sys.modules, 'cv2' in sys.modules); "
        "sys.exit(rc)"
    )
    for args in (["info", str(project)], ["info", str(project), "--json"]):
        result = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True,
            env=_env(tmp_path), check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "False False"
    result = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom fashion_annotator.cli import main\n"
         "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)"],
        capture_output=True, text=True, env=_env(tmp_path), check=False,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_format_names_listed_without_importing_formats_match_the_registry() -> None:
    assert project_commands.IMPORT_FORMATS == formats.IMPORT_FORMATS
    assert project_commands.EXPORT_FORMATS == formats.EXPORT_FORMATS
    assert project_commands.CUTOUT_EDGES == formats.CUTOUT_EDGES


def test_progress_bars_stay_off_when_stderr_is_not_a_terminal(tmp_path, capsys) -> None:
    project = tmp_path / "p"
    assert main(["new", str(project), "--images", str(SAMPLE)]) == 0
    # no mask saved yet: the export writes no image, says why and exits 1 (still no bar)
    assert main(["export", str(project), str(tmp_path / "out"), "--format", "plain"]) == 1
    captured = capsys.readouterr()
    assert "\r" not in captured.err and "[" not in captured.err
    assert "no image exported: all 5 images are without a mask for the task" in captured.err
    assert captured.out.startswith("5 photos added")


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path) -> None:
    """A CLI test: ``info P | head -0`` said "error: BrokenPipeError ... (traceback in ...)"
    and exited 1; as Unix tools do it now ends silently with 141 (128 + SIGPIPE)."""
    project = tmp_path / "p"
    assert main(["new", str(project), "--images", str(SAMPLE)]) == 0
    for args in (["info", str(project)], ["info", str(project), "--json"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before the first line
        try:
            result = subprocess.run(
                [sys.executable, "-m", "fashion_annotator", *args], stdout=write,
                stderr=subprocess.PIPE, text=True, env=_env(tmp_path), timeout=120, check=False,
            )  # fmt: skip
        finally:
            os.close(write)
        assert (result.returncode, result.stderr) == (141, ""), result.stderr


def test_the_subcommand_table_names_what_each_module_registers() -> None:
    import argparse
    import importlib

    from fashion_annotator.cli import COMMANDS, build_parser

    registered: dict[str, str] = {}
    for module in dict.fromkeys(COMMANDS.values()):
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        registered.update(dict.fromkeys(sub.choices, module))
    assert registered == COMMANDS
    every = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(every.choices) == set(COMMANDS)
    one = next(a for a in build_parser("info")._actions if isinstance(a, argparse._SubParsersAction))
    assert set(one.choices) == {"new", "import", "export", "info", "sync"}  # one module's subcommands


def test_the_window_and_a_subcommand_import_no_other_command_module(tmp_path) -> None:
    """Every launch built every subcommand's parser, importing all command modules (about 0.2 s
    of the window's start, a session 46 measurement); the window's launch needs none of them
    and a subcommand only its own."""
    probe = (
        "import sys\nfrom fashion_annotator import cli\n"
        "cli._launch_gui = lambda path: print('window', path) or 0\n"
        "rc = cli.main(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.startswith('fashion_annotator.commands.')))\n"
        "sys.exit(rc)"
    )
    for args, imported in (
        ([str(SAMPLE)], []),
        (["info", str(tmp_path / "nowhere")], ["fashion_annotator.commands.project"]),
    ):
        result = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True,
            env=_env(tmp_path), check=False,
        )  # fmt: skip
        assert result.stdout.strip().splitlines()[-1] == str(imported), result.stderr


def test_every_bench_help_describes_the_benchmark_and_shows_its_defaults(capsys) -> None:
    """A hand test: `bench selection --help` and `bench loop --help` had no description and
    named no default (`--images IMAGES  masks in the bench project`)."""
    import argparse

    from fashion_annotator.cli import build_parser

    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices

    names = list(subcommands(subcommands(build_parser("bench"))["bench"]))
    assert {"selection", "loop", "superpixels", "infer", "instances", "generalize", "studio"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as stop:
            main(["bench", name, "--help"])
        assert stop.value.code == 0
        out = capsys.readouterr().out
        description = out.split("\n\n")[1]
        assert description[:1].isupper() and description.rstrip().endswith("."), (name, description)
        assert "(default: None)" not in out and "(default: False)" not in out, name
    main_help = {
        "selection": ["--images IMAGES  masks in the bench project (default: 40)", "(default: 3)"],
        "loop": ["(default: 10,25,50,100)", "default: tool", "(default: 3.0)"],
        "superpixels": ["(default: parsing7)", "(default: 7)"],
        "studio": ["default: 200"],
    }
    for name, shown in main_help.items():
        with pytest.raises(SystemExit):
            main(["bench", name, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        for text in shown:
            assert " ".join(text.split()) in out, (name, text)
