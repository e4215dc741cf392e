"""A server project's password: never in the settings file, asked for when the server wants it.

The server here really asks: the database's owner ``annot`` logs in with a password
(``scram-sha-256`` in ``pg_hba.conf``), and no ``~/.pgpass`` or ``PGPASSWORD`` gives it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from fashion_annotator.dataset.postgres.url import with_password
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.ui import app
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.server_password import PasswordDialog

PASSWORD = "Sp@ce s3cret:x"
"""The team's password, with the characters a URL must escape."""


@pytest.fixture(scope="module")
def pw_database(pg_server) -> str:
    """A database whose owner ``annot`` must give a password; its URL without one."""
    import psycopg

    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(f"CREATE ROLE annot LOGIN PASSWORD '{PASSWORD}'")
        conn.execute("CREATE DATABASE fa_pw OWNER annot")
        hba = pg_server.data / "pg_hba.conf"
        hba.write_text("host all annot 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    return f"postgresql://annot@127.0.0.1:{pg_server.port}/fa_pw"


@pytest.fixture
def pw_url(pw_database: str, ccp_dir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project in :func:`pw_database` with one photo; its URL without the password."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.pgpass
    for name in ("PGPASSWORD", "PGPASSFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "pg-local"))
    monkeypatch.setattr(app, "data_dir", lambda: tmp_path / "data")
    (tmp_path / "data").mkdir()
    url = f"{pw_database}?project=t{uuid.uuid4().hex[:12]}"
    with create_project(with_password(url, PASSWORD), user="lead") as project:
        project.add_image(ccp_dir / "images" / "0001.jpg")
    return url


def answer_password(answers: list[str | None], seen: list[PasswordDialog]) -> None:
    """Answer each password question, when it shows, with the next of ``answers`` (typed
    into its field and OK, or None: Cancel); each dialog answered goes into ``seen``."""

    def answer() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, PasswordDialog) and w.isVisible()]
        if not shown:
            QTimer.singleShot(20, answer)
            return
        dialog = shown[0]
        seen.append(dialog)
        text = answers.pop(0)
        if text is None:
            dialog.reject()
        else:
            dialog.password.setText(text)
            dialog.accept()
        if answers:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(0, answer)


def test_the_settings_keep_a_server_url_without_its_password(tmp_path: Path) -> None:
    ini = tmp_path / "s.ini"
    prefs = Preferences(settings_file(ini))
    typed = "postgresql://ann:s3cret@db.example:5433/fashion?sslmode=require&sslpassword=k3y&project=spring"
    prefs.last_project = typed
    prefs.sync()
    assert "s3cret" not in ini.read_text() and "k3y" not in ini.read_text()
    stripped = "postgresql://ann@db.example:5433/fashion?sslmode=require&project=spring"
    assert prefs.last_project == stripped
    assert prefs.session_url(stripped) == typed  # in memory for this session only
    assert Preferences(settings_file(ini)).session_url(stripped) == stripped  # the next one has none


def test_the_session_keeps_one_password_per_server_account(tmp_path: Path) -> None:
    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    prefs.remember_url("postgresql://ann:s3cret@DB.example:5433/fashion?project=spring")
    assert prefs.session_url("postgresql://ann@db.example:5433/archive?project=autumn") == (
        "postgresql://ann:s3cret@db.example:5433/archive?project=autumn"
    )
    for other in ("postgresql://bob@db.example:5433/fashion?project=spring",
                  "postgresql://ann@db.example/fashion?project=spring",
                  "postgresql://ann@db2.example:5433/fashion?project=spring",
                  "postgresql://db.example:5433/fashion?project=spring&user=bob"):  # fmt: skip
        assert prefs.session_url(other) == other
    prefs.forget_password("postgresql://ann@db.example:5433/fashion?project=spring")
    assert prefs.session_url("postgresql://ann@db.example:5433/fashion?project=spring") == (
        "postgresql://ann@db.example:5433/fashion?project=spring"
    )


def test_an_older_settings_file_loses_the_password_on_the_first_read(tmp_path: Path) -> None:
    ini = tmp_path / "s.ini"
    old = "postgresql://ann:s3cret@db.example/fashion?project=spring&password=s3cret"
    ini.write_text(f'[session]\nlast_project="{old}"\n')
    prefs = Preferences(settings_file(ini))
    assert "s3cret" not in ini.read_text()  # rewritten at once, not at the next close
    assert prefs.last_project == "postgresql://ann@db.example/fashion?project=spring"
    assert prefs.session_url(str(prefs.last_project)) == old  # still works this session


def test_reopening_the_last_server_project_asks_for_its_password(qtbot, pw_url: str, tmp_path: Path) -> None:
    ini = tmp_path / "s.ini"
    closing = Preferences(settings_file(ini))
    closing.last_project = with_password(pw_url, PASSWORD)  # as the window's close keeps it
    closing.sync()
    assert PASSWORD not in ini.read_text() and "s3cret" not in ini.read_text()
    prefs = Preferences(settings_file(ini))  # the next start
    assert prefs.last_project == pw_url
    seen: list[PasswordDialog] = []
    answer_password(["wrong", PASSWORD], seen)
    notes: list[str] = []
    project, _ = app.choose_project(None, prefs.last_project, notes, lambda p: app_open(p, prefs))
    with project:
        assert notes == [] and len(project.images()) == 1
        assert project.location == with_password(pw_url, PASSWORD)  # the session's connections
    assert len(seen) == 2
    assert seen[0].password.echoMode() == QLineEdit.EchoMode.Password
    assert "127.0.0.1" in seen[0].question.text() and "annot" in seen[0].question.text()
    assert seen[1].question.text().startswith("The password typed was refused. The server ")
    prefs.last_project = project.location
    prefs.sync()
    assert "s3cret" not in ini.read_text()  # typed, used, and written nowhere


def test_cancelling_the_password_opens_the_sample_and_says_why(qtbot, pw_url: str, tmp_path: Path) -> None:
    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    prefs.last_project = pw_url
    seen: list[PasswordDialog] = []
    answer_password([None], seen)
    notes: list[str] = []
    project, _ = app.choose_project(None, prefs.last_project, notes, lambda p: app_open(p, prefs))
    with project:
        assert project.root == (tmp_path / "data" / "sample-project").resolve()
    assert len(seen) == 1 and len(notes) == 1
    assert f"The last project, {pw_url}, could not be opened" in notes[0]
    assert "asks for the password of annot and the password question was cancelled" in notes[0]


def test_cancelling_after_refused_passwords_says_they_were_refused(
    qtbot, pw_url: str, pg_server, tmp_path: Path
) -> None:
    """Two wrong passwords, then Cancel: the message said "none was given"."""
    from fashion_annotator.dataset.records import ProjectError

    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    seen: list[PasswordDialog] = []
    answer_password(["wrong", "wr0ng too", None], seen)
    with pytest.raises(ProjectError) as raised:
        app_open(pw_url, prefs)
    said = str(raised.value)
    assert len(seen) == 3 and "none was given" not in said
    assert f"not opened: the server 127.0.0.1:{pg_server.port}/fa_pw refused the password of annot " in said
    assert "(2 passwords typed), then the password question was cancelled" in said
    assert "wr0ng" not in said


def test_an_older_settings_password_still_opens_without_a_question(qtbot, pw_url: str, tmp_path: Path) -> None:
    ini = tmp_path / "s.ini"
    ini.write_text(f'[session]\nlast_project="{with_password(pw_url, PASSWORD)}"\n')
    prefs = Preferences(settings_file(ini))
    assert "s3cret" not in ini.read_text()
    seen: list[PasswordDialog] = []
    answer_password([None], seen)  # a question would be cancelled, and the sample open
    notes: list[str] = []
    project, _ = app.choose_project(None, prefs.last_project, notes, lambda p: app_open(p, prefs))
    with project:
        assert notes == [] and len(project.images()) == 1
    assert seen == []


def test_open_server_project_cancelled_stays_on_the_open_project(
    qtbot, pw_url: str, team_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    switcher = app.WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini")))
    first = switcher.show(open_project(team_url, user="alice"))
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    seen: list[PasswordDialog] = []
    answer_password([None], seen)
    assert first.open_server_project(pw_url) is None
    try:
        assert switcher.window is first and first.isVisible() and len(seen) == 1
        assert len(said) == 1 and "the password question was cancelled" in said[0] and PASSWORD not in said[0]
        answer_password([PASSWORD], seen)
        opened = first.open_server_project(pw_url)
        assert opened is switcher.window and len(opened.project.images()) == 1
    finally:
        window = switcher.window
        window.close()
        window.project.close()
        window.deleteLater()
    assert "s3cret" not in (tmp_path / "s.ini").read_text()


def app_open(location, prefs: Preferences):
    """Open as the window does at start-up: asking for a server project's password."""
    from fashion_annotator.ui.server_password import open_asking

    return open_asking(location, prefs)


def test_a_retrain_child_gets_the_url_secrets_in_its_environment_not_its_command_line(
    qtbot, pw_url: str
) -> None:
    """``ps`` showed the retrain child's command line to every user of the machine: the URL's
    password (once) and its ``sslpassword`` (still, libpq reads it from no variable) with it.
    A real ``fashion-annotator info`` child still opens the project: its URL's secrets come in
    ``FA_PROJECT_URL``."""
    import sys
    from urllib.parse import quote

    from fashion_annotator.ui.train.child_process import training_process

    typed = with_password(pw_url, PASSWORD) + "&sslpassword=k3y-Phrase"
    process = training_process(None, sys.executable, ["-m", "fashion_annotator", "info", typed])
    arguments = " ".join(process.arguments())
    for secret in (PASSWORD, quote(PASSWORD, safe=""), "k3y-Phrase", "sslpassword"):
        assert secret not in arguments
    assert process.arguments()[-1] == pw_url
    environment = process.processEnvironment()
    assert environment.value("FA_PROJECT_URL") == typed and not environment.contains("PGPASSWORD")
    process.start()
    assert process.waitForFinished(120_000)
    said = bytes(process.readAllStandardOutput().data()).decode()
    assert process.exitCode() == 0, bytes(process.readAllStandardError().data()).decode()
    assert "project: postgresql://annot:***@127.0.0.1:" in said and "images: 1" in said  # opened


def test_the_background_retrain_of_a_server_project_trains_on_the_server_with_the_password(
    qtbot, pw_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Train > Background retrain on a server project started ``train --project`` on this
    desktop's working folder, no project: every run failed, and none could reach the server."""
    from PySide6.QtWidgets import QStatusBar

    from fashion_annotator.ui.train import background_retrain

    made = []

    def held(parent, program, arguments):
        process = real(parent, program, arguments)
        process.start = lambda: None  # what it would run, not run
        made.append(process)
        return process

    real = background_retrain.training_process
    monkeypatch.setattr(background_retrain, "training_process", held)
    bar = QStatusBar()
    qtbot.addWidget(bar)
    with open_project(with_password(pw_url, PASSWORD) + "&sslpassword=k3y", user="alice") as project:
        retrainer = background_retrain.BackgroundRetrainer(project, "garment", bar)
        retrainer._start(1, 2)  # noqa: SLF001 - the run as enough corrected masks start it
        arguments = made[0].arguments()
        assert arguments[arguments.index("--project") + 1] == pw_url
        assert PASSWORD not in " ".join(arguments) and "k3y" not in " ".join(arguments)
        assert made[0].processEnvironment().value("FA_PROJECT_URL") == project.location


class Asked:
    """An ``ask`` for :func:`open_asking` answering each question with the next of ``answers``
    (None: Cancel) and noting whose password the server had refused ("": none; ``refused``)."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.refused: list[str] = []

    def __call__(self, _parent, _url: str, refused: str) -> str | None:
        self.refused.append(refused)
        return self.answers.pop(0)


def _second_project(pw_database: str, ccp_dir, database: str | None = None, admin: str = "") -> str:
    """Another project of the account ``annot`` (in ``database`` when given, a new database it
    owns, made by the superuser's URL ``admin``); its URL without the password."""
    import psycopg

    base = pw_database
    if database is not None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database} OWNER annot")
        base = pw_database.rsplit("/", 1)[0] + f"/{database}"
    url = f"{base}?project=t{uuid.uuid4().hex[:12]}"
    with create_project(with_password(url, PASSWORD), user="lead") as project:
        project.add_image(ccp_dir / "images" / "0002.jpg")
    return url


def test_another_project_of_the_same_server_account_opens_without_asking_again(
    qtbot, pw_url: str, pw_database: str, pg_server, ccp_dir, tmp_path: Path
) -> None:
    """The session kept the password for the exact URL typed: a second project of the same
    server and user (in the same database or another) asked for it again."""
    from fashion_annotator.ui.server_password import open_asking

    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    asked = Asked(PASSWORD)
    with open_asking(pw_url, prefs, ask=asked):
        pass
    assert asked.refused == [""]
    same_database = _second_project(pw_database, ccp_dir)
    other_database = _second_project(pw_database, ccp_dir, f"fa_pw_{uuid.uuid4().hex[:8]}", pg_server.url)
    for url in (same_database, other_database):
        with open_asking(url, prefs, ask=asked) as project:
            assert len(project.images()) == 1
    assert asked.refused == [""]  # asked once in all
    prefs.last_project = project.location
    prefs.sync()
    assert PASSWORD not in (tmp_path / "s.ini").read_text()


def test_a_kept_password_the_server_now_refuses_is_asked_for_once(
    qtbot, pw_url: str, pw_database: str, ccp_dir, tmp_path: Path
) -> None:
    """A password changed on the server since the session kept it: the question comes (the
    server refused it), and once it is cancelled the next open asks without trying it again."""
    import psycopg

    from fashion_annotator.dataset.records import ProjectError
    from fashion_annotator.ui.server_password import open_asking

    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    with open_asking(pw_url, prefs, ask=Asked(PASSWORD)):
        pass
    other = _second_project(pw_database, ccp_dir)
    admin = with_password(pw_database, PASSWORD)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER ROLE annot PASSWORD 'n3w one'")
    try:
        cancelled = Asked(None)
        with pytest.raises(ProjectError, match=r"refused the password of annot \(the one kept for this session\)"):
            open_asking(other, prefs, ask=cancelled)
        assert cancelled.refused == ["kept"]  # the kept one tried once, then the question
        retyped = Asked("n3w one")
        with open_asking(other, prefs, ask=retyped) as project:
            assert len(project.images()) == 1
        assert retyped.refused == [""]  # the refused password was forgotten, not tried again
        with open_asking(pw_url, prefs, ask=Asked()) as project:  # the new one serves the account
            assert len(project.images()) == 1
    finally:
        with psycopg.connect(with_password(pw_database, "n3w one"), autocommit=True) as conn:
            conn.execute(f"ALTER ROLE annot PASSWORD '{PASSWORD}'")


def test_the_question_after_a_kept_password_is_refused_says_the_kept_one_was(
    qtbot, pw_url: str, pw_database: str, ccp_dir, tmp_path: Path
) -> None:
    """A password changed on the server since the session kept it: the question said "The
    password given was refused", though the operator had given none this time."""
    import psycopg

    from fashion_annotator.ui.server_password import open_asking

    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    with open_asking(pw_url, prefs, ask=Asked(PASSWORD)):
        pass
    other = _second_project(pw_database, ccp_dir)
    with psycopg.connect(with_password(pw_database, PASSWORD), autocommit=True) as conn:
        conn.execute("ALTER ROLE annot PASSWORD 'n3w one'")
    try:
        seen: list[PasswordDialog] = []
        answer_password(["n3w one"], seen)
        with open_asking(other, prefs) as project:  # the real question, answered
            assert len(project.images()) == 1
        assert len(seen) == 1
        assert seen[0].question.text().startswith(
            "The password this session kept for the server was refused; it may have changed. The server "
        )
    finally:
        with psycopg.connect(with_password(pw_database, "n3w one"), autocommit=True) as conn:
            conn.execute(f"ALTER ROLE annot PASSWORD '{PASSWORD}'")


def test_localhost_and_127_0_0_1_are_one_server_account(
    qtbot, pw_url: str, pw_database: str, ccp_dir, tmp_path: Path
) -> None:
    """A password typed for ``127.0.0.1`` was asked for again at ``localhost`` (the same server,
    port and user): the session kept it under the host as written."""
    from fashion_annotator.ui.server_password import open_asking

    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    asked = Asked(PASSWORD)
    with open_asking(pw_url, prefs, ask=asked):
        pass
    other = _second_project(pw_database, ccp_dir).replace("@127.0.0.1:", "@localhost:")
    with open_asking(other, prefs, ask=asked) as project:
        assert len(project.images()) == 1
    assert asked.refused == [""]  # asked once in all


def test_only_the_loopback_spellings_are_one_account(tmp_path: Path) -> None:
    prefs = Preferences(settings_file(tmp_path / "s.ini"))
    prefs.remember_url("postgresql://ann:s3cret@127.0.0.1:5433/fashion?project=spring")
    for same in ("postgresql://ann@localhost:5433/fashion?project=spring",
                 "postgresql://ann@LocalHost:5433/archive?project=autumn",
                 "postgresql://ann@[::1]:5433/fashion?project=spring",
                 "postgresql://ann@db.example:5433/fashion?host=::1&project=spring"):  # fmt: skip
        assert prefs.session_url(same) == with_password(same, "s3cret"), same
    for other in ("postgresql://ann@127.0.0.2:5433/fashion?project=spring",
                  "postgresql://ann@db.example:5433/fashion?project=spring",
                  "postgresql://ann@localhost:5432/fashion?project=spring",
                  "postgresql://bob@localhost:5433/fashion?project=spring"):  # fmt: skip
        assert prefs.session_url(other) == other, other
