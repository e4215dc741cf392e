"""Project URLs: ``postgresql://user[:password]@host[:port]/database?project=NAME``.

``NAME`` is the project inside the database (one PostgreSQL schema per project, so one database
holds many projects). Any other query parameter (``sslmode``, ``connect_timeout``...) goes to
libpq unchanged; a password is better kept in ``~/.pgpass`` than in the URL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from fashion_annotator.dataset.records import ProjectError

SCHEMES = ("postgresql", "postgres")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: Query settings that hold a secret (libpq takes a password there too).
SECRET_KEYS = frozenset({"password", "sslpassword"})
#: The environment variable a project URL's secrets travel in to a child process: a command
#: naming the same URL without them (``train --project URL``) opens it with them
#: (:func:`project_location`). Only the process's own user can read its environment; its
#: command line every user can (``ps``), and libpq reads ``sslpassword`` from no variable.
PROJECT_URL_ENV = "FA_PROJECT_URL"


class PasswordNeeded(ProjectError):
    """The server asks for a password and the URL, ``~/.pgpass`` and ``PGPASSWORD`` gave none
    (``refused`` False), or it refused the one given (``refused`` True)."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


#: libpq's words when a password is wanted and none was given, or one was refused.
NO_PASSWORD = "no password supplied"
BAD_PASSWORD = "password authentication failed"


@dataclass(frozen=True)
class ProjectURL:
    """A parsed project URL.

    ``conninfo`` is what libpq connects with (the URL without ``project``), ``project`` the
    project name, ``schema`` the PostgreSQL schema that holds it, ``display`` the URL without
    its password (for messages and window titles).
    """

    conninfo: str
    project: str
    display: str
    host: str
    port: int
    database: str

    @property
    def schema(self) -> str:
        """The schema holding the project's tables (``fa_`` + project name)."""
        return f"fa_{self.project}"

    def scrub(self, text: str) -> str:
        """``text`` (a driver's message) with the URL's password, as written and decoded,
        replaced by ``***``: libpq repeats a password it cannot parse in its error."""
        try:
            parts = urlsplit(self.conninfo)
            password = parts.password
        except ValueError:
            return text
        secrets = {password or "", unquote(password or "")}
        secrets |= {v for k, v in _query(parts.query) if k in SECRET_KEYS}
        for secret in sorted(secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        return text

    def local_root(self) -> Path:
        """This desktop's working folder for the project (photos, caches, journal).

        ``$FA_LOCAL_DIR`` when set, else ``$XDG_CACHE_HOME`` or ``~/.cache``, then
        ``fashion-annotator/projects/HOST-PORT-DATABASE/PROJECT``.
        """
        base = os.environ.get("FA_LOCAL_DIR") or os.environ.get("XDG_CACHE_HOME")
        root = Path(base) if base else Path.home() / ".cache"
        if not os.environ.get("FA_LOCAL_DIR"):
            root = root / "fashion-annotator" / "projects"
        server = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.host}-{self.port}-{self.database}")
        return root / server / self.project


def is_postgres_url(text: object) -> bool:
    """Whether ``text`` is a PostgreSQL project URL rather than a project folder."""
    return isinstance(text, str) and text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def postgres_or_folder(location: object) -> bool:
    """Whether ``location`` is a PostgreSQL project URL (True) or a project folder (False).

    Raises
    ------
    ProjectError
        ``location`` is a URL of another scheme (``mysql://``, ``http://``, ``s3://``,
        ``file://``): taken as a path it named a local folder ``mysql:/host/db?project=p``.
    """
    if is_postgres_url(location):
        return True
    scheme = foreign_scheme(location)
    if scheme is not None:
        parts = urlsplit(str(location))
        shown = _without_password(parts, _query(parts.query))
        raise ProjectError(
            f"{shown}: {scheme}:// is not a project location; a project is a folder (a path, "
            "not a file:// URL) or postgresql://user@host/db?project=NAME"
        )
    return False


def foreign_scheme(text: object) -> str | None:
    """The scheme of a URL ``text`` that is not a PostgreSQL one (``mysql``), else None."""
    if not isinstance(text, str) or is_postgres_url(text):
        return None
    found = _SCHEME.match(text)
    return found.group(1) if found else None


def parse_url(url: str) -> ProjectURL:
    """Split a project URL into the libpq URL and the project name.

    Raises
    ------
    ValueError
        Not a PostgreSQL URL, no database, or no (or a malformed) ``project`` parameter.
    """
    if not is_postgres_url(url):
        raise ValueError(f"{url}: not a PostgreSQL project URL (postgresql://user@host/db?project=NAME)")
    parts = urlsplit(url)
    query = _query(parts.query)
    names = [v for k, v in query if k == "project"]
    rest = [(k, v) for k, v in query if k != "project"]
    shown = _without_password(parts, query)
    if len(names) != 1:
        raise ValueError(f"{shown}: the URL needs one ?project=NAME (the project in the database)")
    name = names[0]
    if not _NAME.match(name):
        raise ValueError(
            f"{shown}: project name {name!r} must be 1-40 of a-z 0-9 _, starting with a letter"
        )
    database = parts.path.lstrip("/")
    if not database:
        raise ValueError(f"{shown}: the URL names no database (postgresql://user@host/DB?project=...)")
    # %20 for a space: libpq does not read '+' as one (application_name=QA desk, options=-c ...)
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest, quote_via=quote), ""))
    try:
        port = parts.port or 5432
    except ValueError as exc:
        raise ValueError(f"{shown}: {exc}") from exc
    return ProjectURL(conninfo, name, shown, parts.hostname or "localhost", port, database)


def _query(text: str) -> list[tuple[str, str]]:
    """A URL's query settings, a literal ``+`` kept as written (libpq does not read it as a
    space: a password ``a+b``, ``options=-c timezone=Etc/GMT+3``)."""
    return parse_qsl(text.replace("+", "%2B"), keep_blank_values=True)


def _without_password(parts, query: list[tuple[str, str]]) -> str:
    """The URL as shown in messages: its password, in the user part or a setting, as ``***``."""
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    shown = parts.query
    if any(k in SECRET_KEYS for k, _ in query):
        shown = urlencode([(k, "***" if k in SECRET_KEYS else v) for k, v in query], quote_via=quote, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, shown, ""))


def project_location(text: str) -> str | Path:
    """A command-line project argument: a URL stays a string (a PostgreSQL one is opened, another
    refused by :func:`postgres_or_folder`), anything else a path.

    A PostgreSQL URL without secrets that :data:`PROJECT_URL_ENV` holds with them (a password,
    an ``sslpassword``) is that one: a child process the window starts gets its project's
    secrets there, never on its command line, which every user of the machine can read.
    """
    if is_postgres_url(text):
        given = os.environ.get(PROJECT_URL_ENV, "")
        matches = is_postgres_url(given) and without_password(given) == text
        return given if matches and text == without_password(text) else text
    return text if foreign_scheme(text) else Path(text)


def describe_location(location: str | Path) -> str:
    """How to show a project location: the URL without its password, or the absolute folder."""
    if is_postgres_url(str(location)):
        try:
            return parse_url(str(location)).display
        except ValueError:
            return str(location).split("@")[-1]
    return str(Path(location).resolve())


def without_password(location: str) -> str:
    """``location`` as the settings keep it: a PostgreSQL URL without its password, in the user
    part or a ``password=``/``sslpassword=`` setting (libpq then takes it from ``~/.pgpass``,
    ``PGPASSWORD`` or asks for none); anything else unchanged. The other settings stay as
    written."""
    if not is_postgres_url(location):
        return location
    parts = urlsplit(location)
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = f"{userinfo.partition(':')[0]}@{host}" if at else host
    kept = [
        item for item in parts.query.split("&")
        if item and unquote(item.partition("=")[0]).lower() not in SECRET_KEYS
    ]  # fmt: skip
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))


def with_password(location: str, password: str) -> str:
    """The PostgreSQL URL ``location`` with ``password`` in its user part, in place of any there
    or in a ``password=`` setting (libpq takes that one over the user part's)."""
    parts = urlsplit(location)
    userinfo, at, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0] if at else ""
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    kept = [
        item for item in parts.query.split("&")
        if item and unquote(item.partition("=")[0]).lower() != "password"
    ]  # fmt: skip
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))


def password_of(location: str) -> str | None:
    """The password a PostgreSQL URL holds (a ``password=`` setting, else its user part's),
    decoded; None when it holds none."""
    parts = urlsplit(location)
    setting = [v for k, v in _query(parts.query) if k.lower() == "password"]
    if setting:
        return setting[-1]
    return unquote(parts.password) if parts.password is not None else None


#: The spellings of this computer's own address, one server account whichever a URL uses.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def server_account(location: str) -> tuple[str, int, str]:
    """``(HOST, PORT, USER)``: the server account a PostgreSQL URL logs in as, which one password
    opens (a role's password holds for every database of its server); the key of the password
    a session keeps. The host is lower case, and ``localhost``, ``127.0.0.1`` and ``::1`` are
    all ``localhost`` (no other name is resolved); a Unix-socket directory (``/run/...``) is kept
    as written, its case too. See :func:`_account` for the rest."""
    host, port, user = _account(location)
    if host.startswith("/"):  # a socket directory: a path, case-sensitive
        return host, port, user
    host = host.lower().removeprefix("[").removesuffix("]")
    return ("localhost" if host in LOOPBACK_HOSTS else host), port, user


def _account(location: str) -> tuple[str, int, str]:
    """``(HOST, PORT, USER)`` as a PostgreSQL URL writes them. A ``host=``, ``port=`` or
    ``user=`` setting is taken over the URL's own, as libpq does; the user is libpq's default,
    ``PGUSER`` or the login name, when the URL names none."""
    parts = urlsplit(location)
    settings = {k.lower(): v for k, v in _query(parts.query)}
    try:
        port = int(settings.get("port") or parts.port or 5432)
    except ValueError:
        port = 5432
    host = settings.get("host") or parts.hostname or "localhost"
    user = settings.get("user") or unquote(parts.username or "")
    return host, port, user or os.environ.get("PGUSER", "") or _login_name()


def server_and_user(location: str) -> tuple[str, str]:
    """``(HOST:PORT/DATABASE, USER)`` of a PostgreSQL URL, for a password question (the user is
    libpq's default, the login name, when the URL names none; the host as written)."""
    host, port, user = _account(location)
    return f"{host}:{port}/{urlsplit(location).path.lstrip('/')}", user


def _login_name() -> str:
    """The operating system user, libpq's default database user."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
