"""A server project's password, asked for when the server wants one and kept for the session.

The settings keep a server project's URL without its password
(:meth:`~fashion_annotator.ui.preferences.Preferences.last_project`): reopened, it connects as
stored (libpq takes the password from ``~/.pgpass`` or ``PGPASSWORD``, or the server asks for
none). When the server refuses for want of a password, :func:`open_asking` asks for it in a
masked field and uses it for this session only: it is written nowhere. The session keeps one
password per server account (host, port and user: a role's password holds for every database of
its server; ``localhost``, ``127.0.0.1`` and ``::1`` are one host,
:func:`~fashion_annotator.dataset.postgres.url.server_account`), so opening another project of
the same account does not ask again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.postgres.url import (
    PasswordNeeded,
    describe_location,
    is_postgres_url,
    server_and_user,
    with_password,
)
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project, open_project
from fashion_annotator.ui.preferences import Preferences

#: ``ask(parent, url, refused)``: the password typed, or None when the operator cancelled;
#: ``refused``: whose password the server refused first ("": none, else a key of :data:`REFUSED`).
AskPassword = Callable[[QWidget | None, str, str], str | None]

#: What the password question says first when the server refused a password, by whose it was:
#: the one this session kept (changed on the server since), the URL's or the environment's, the
#: one the operator typed.
REFUSED = {
    "kept": "The password this session kept for the server was refused; it may have changed.",
    "given": "The password from the URL, ~/.pgpass or PGPASSWORD was refused.",
    "typed": "The password typed was refused.",
}


class PasswordDialog(QDialog):
    """Asks for the password of ``user`` on ``server`` in a masked field.

    Parameters
    ----------
    server : str
        ``HOST:PORT/DATABASE``, as the question shows it.
    user : str
        The database user.
    refused : str
        Whose password the server refused before, said above the field (a key of
        :data:`REFUSED`); "" when it refused none.
    """

    def __init__(
        self, server: str, user: str, refused: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Server password")
        layout = QVBoxLayout(self)
        said = f"{REFUSED[refused]} " if refused else ""
        self.question = QLabel(
            f"{said}The server {server} asks for the password of the database user {user}."
        )
        self.question.setWordWrap(True)
        layout.addWidget(self.question)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        layout.addWidget(self.password)
        hint = QLabel("It is used until the program quits and saved nowhere; "
                      "~/.pgpass can hold it so that it is not asked again.")  # fmt: skip
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.password.setFocus()


def ask_password(parent: QWidget | None, url: str, refused: str) -> str | None:
    """Ask for the password of the server project ``url``, saying whose password the server
    refused first (``refused``: a key of :data:`REFUSED`, "" for none); None when cancelled."""
    server, user = server_and_user(url)
    dialog = PasswordDialog(server, user, refused, parent)
    return dialog.password.text() if dialog.exec() == QDialog.DialogCode.Accepted else None


def open_asking(
    location: str | Path,
    prefs: Preferences,
    parent: QWidget | None = None,
    *,
    user: str | None = None,
    ask: AskPassword = ask_password,
) -> Project:
    """Open the project at ``location``; a server project asks for its password when the
    server wants one (again when it refuses the one typed) and keeps it for the session, for
    every project of the same server account (:meth:`Preferences.session_url`).

    A password the session kept that the server refuses (changed since) is forgotten and asked
    for, once: it is never tried again.

    Raises
    ------
    ProjectError
        The project cannot be opened, or the operator cancelled the password question (the
        message names the server and says whether it refused a password first).
    """
    if not is_postgres_url(str(location)):
        return open_project(location, user=user)
    url = prefs.session_url(str(location))
    source = "kept" if url != str(location) else "given"
    refused: list[str] = []
    while True:
        try:
            project = open_project(url, user=user)
        except PasswordNeeded as exc:
            if exc.refused:
                refused.append(source)
                if source == "kept":
                    prefs.forget_password(url)
            password = ask(parent, url, source if exc.refused else "")
            if password is None:
                raise ProjectError(_not_opened(url, refused)) from exc
            url, source = with_password(url, password), "typed"
            continue
        prefs.remember_url(url)
        return project


def _not_opened(url: str, refused: list[str]) -> str:
    """Why the server project ``url`` was not opened after the password question was cancelled:
    the server asked and none was typed, or it refused those given (``refused``: ``kept`` for
    the session's, ``given`` for the URL's, ``~/.pgpass``'s or ``PGPASSWORD``'s, ``typed``)."""
    server, name = server_and_user(url)
    said = f"{describe_location(url)}: not opened: the server {server} "
    if not refused:
        said += f"asks for the password of {name} and the password question was cancelled"
    else:
        whose = []
        if "kept" in refused:
            whose.append("the one kept for this session")
        if "given" in refused:
            whose.append("the one in the URL, ~/.pgpass or PGPASSWORD")
        typed = refused.count("typed")
        if typed:
            whose.append(f"{'the one' if typed == 1 else counted(typed, 'password')} typed")
        said += (f"refused the password of {name} ({' and '.join(whose)}), then the password "
                 "question was cancelled")  # fmt: skip
    return said + " (~/.pgpass can keep the password)"
