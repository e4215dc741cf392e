"""Which image rows changed between two reads of a PostgreSQL project's image list.

The server cannot say cheaply which rows other sessions committed since a moment: a sequence
number or a timestamp is taken when a transaction writes, not when it commits, so a save that
commits after a later one would be missed. What it can say cheaply and exactly is every image's
stamp: its status, the server time of its last write (``updated``, the writing transaction's
start) and the user who made it. An image list polls one server-made digest of every stamp
(:data:`DIGEST_SQL`, about 11 ms at 20,000 images), reads the stamps only when it moved (about
20 ms more; reading the records takes 0.4-0.9 s) and re-reads only the rows whose stamp moved.

A token is ``(others, rows)``: how many times a poll found a row that another session wrote (or
a row gone), and a hash of every stamp. SQLite's token counts another connection's commits and
this connection's own; here a row that moved is this session's own when this session's writes
lead from the stamp the last token saw to the one it has (:attr:`~.connection.PgConnection.
own_writes` records the ``updated`` each write found and the one it set): another session of the
same user name (the operator's second desktop) is another session, whose saves the Review tab
shows on the poll, and a colleague's change stays theirs when this session writes the row
after it, before the poll (a Review decision on the image).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

Stamp = tuple[str, float, str]
"""An image row's ``(status, updated, username)``."""

STAMPS_SQL = "SELECT id, status, updated, username FROM images ORDER BY id"
DIGEST_SQL = (
    "SELECT md5(coalesce(string_agg(concat_ws(':', id, status, updated, username), ','"
    " ORDER BY id), '')) AS digest FROM images"
)
"""One hash of every stamp, made on the server: a poll that finds it unchanged reads no stamp."""

KEEP = 4
"""Tokens whose stamps are kept (the image list holds one, a second list another)."""


class ImageStamps:
    """The stamps behind the last :data:`KEEP` tokens given, to tell which rows moved.

    Parameters
    ----------
    own : mapping
        ``image_id -> ((before, updated), ...)`` of this session's last writes of each image
        row, kept up to date by the session: the ``updated`` each write found (None: it added
        the row) and the one it set. A row whose writes since the last token are all this
        session's moves no ``others`` count.
    """

    def __init__(self, own: Mapping[int, Sequence[tuple[float | None, float]]]) -> None:
        self.own = own
        self._seen: OrderedDict[tuple[int, int], dict[int, Stamp]] = OrderedDict()
        self._latest: tuple[int, int] | None = None
        self._others = 0
        self.digest: str | None = None  # the DIGEST_SQL result read before the latest token

    @property
    def latest(self) -> tuple[int, int] | None:
        """The last token given."""
        return self._latest

    def token(self, rows: list[Any], digest: str | None = None) -> tuple[int, int]:
        """The token of ``rows`` (:data:`STAMPS_SQL`'s result), remembered as the latest.

        Parameters
        ----------
        rows : list of mappings
            ``id``, ``status``, ``updated`` and ``username`` of every image, by id.
        digest : str, optional
            :data:`DIGEST_SQL`'s result read just before ``rows``.
        """
        stamps = {int(r["id"]): (str(r["status"]), float(r["updated"]), str(r["username"])) for r in rows}
        before = None if self._latest is None else self._seen[self._latest]
        if before is not None and before != stamps:
            moved = [(i, s) for i, s in stamps.items() if before.get(i) != s]
            theirs = any(not self._ours(i, before.get(i), s) for i, s in moved)
            if theirs or before.keys() - stamps.keys():
                self._others += 1
        token = (self._others, hash(tuple(stamps.items())))
        self._seen[token] = stamps
        self._seen.move_to_end(token)
        while len(self._seen) > KEEP:
            self._seen.popitem(last=False)
        self._latest, self.digest = token, digest
        return token

    def _ours(self, image_id: int, seen: Stamp | None, now: Stamp) -> bool:
        """Whether this session's writes of the row, in their order, lead from ``seen`` (the
        last token's stamp; None: no row) to ``now``: none of them found another's stamp."""
        at = None if seen is None else seen[1]
        for found, wrote in self.own.get(image_id, ()):
            if found == at:
                at = wrote
        return at == now[1]

    def changed(self, since: tuple[int, int]) -> list[int] | None:
        """Ids of the images whose stamp differs between ``since`` and the latest token, or
        that one of them lacks (added); None when ``since``'s stamps were not kept."""
        before = self._seen.get(since)
        if before is None or self._latest is None:
            return None
        now = self._seen[self._latest]
        return sorted(i for i in before.keys() | now.keys() if before.get(i) != now.get(i))
