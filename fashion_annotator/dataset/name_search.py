"""Searching images by name: the photo's file name only, Unicode case-folded, taken literally.

A photo copied into a project is stored under its file name; one referenced in place under its
absolute path, whose folders must not match (every photo of a shoot in ``Shoot 衣服 2024`` was
listed for ``衣服``). Both backends fold with Python (:func:`search_key`): SQLite's ``lower()``
folds ASCII only, PostgreSQL's depends on the database's locale. SQLite calls
:func:`name_key` through :data:`SQL_FUNCTION` (:func:`install`); PostgreSQL filters the rows
its query returns (:func:`matches`).
"""

from __future__ import annotations

import os
import sqlite3
import unicodedata

#: The SQL function :func:`install` registers: ``fa_name_key(name)`` is :func:`name_key`.
SQL_FUNCTION = "fa_name_key"

#: What separates the folders of a referenced photo's path here (``\\`` is a letter on Linux
#: and macOS).
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)


def search_key(text: str) -> str:
    """``text`` case-folded (``MÜLLER`` and ``müller``, ``STRASSE`` and ``straße`` alike) and
    composed (NFC: an accent typed as its own character matches the accented letter), the
    Turkish dotted and dotless i folded to ``i``: Unicode folds ``İ`` to ``i`` with a dot above
    and leaves ``ı`` alone, so ``istanbul`` did not find ``İstanbul.jpg`` nor ``ışık``
    ``IŞIK.jpg``.

    Examples
    --------
    >>> search_key("Straße CAFE\u0301")
    'strasse café'
    >>> search_key("İSTANBUL ışık") == search_key("istanbul IŞIK")
    True
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return folded.replace(_DOTTED_I, "i").replace(_DOTLESS_I, "i")


#: ``İ`` case-folded: ``i`` and a combining dot above (no composed form).
_DOTTED_I = "i\u0307"
#: The Turkish dotless ``ı`` (lower case of ``I`` in Turkish), which case folding keeps.
_DOTLESS_I = "\u0131"


def file_name(name: str) -> str:
    """The file name of an image stored under ``name``: its last path component (a referenced
    photo's name is its absolute path, with this system's separators between folders:
    :data:`os.sep` and :data:`os.altsep`; on Linux and macOS ``red\\dress.png`` is one name).

    Examples
    --------
    >>> file_name(os.path.join(os.sep, "shoot", "Shoot 2024", "look 01.jpg"))
    'look 01.jpg'
    >>> file_name("look.jpg")
    'look.jpg'
    """
    return name[max(name.rfind(sep) for sep in _SEPARATORS) + 1 :]


def name_key(name: str) -> str:
    """What a search looks in for the image stored under ``name``: its file name's
    :func:`search_key`."""
    return search_key(file_name(name))


def matches(name: str, key: str) -> bool:
    """Whether the image stored under ``name`` is found by a search whose :func:`search_key`
    is ``key`` (a plain substring: ``%`` and ``_`` are letters like others)."""
    return key in name_key(name)


def install(conn: sqlite3.Connection) -> None:
    """Register :data:`SQL_FUNCTION` on ``conn`` (deterministic: SQLite may reuse results)."""
    conn.create_function(SQL_FUNCTION, 1, name_key, deterministic=True)
