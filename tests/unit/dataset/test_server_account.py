"""The server account a team project URL logs in as: the key of the password a session keeps."""

from __future__ import annotations

from fashion_annotator.dataset.postgres.url import server_account


def test_loopback_spellings_and_host_case_are_one_account() -> None:
    for url in ("postgresql://ann@localhost:5433/fashion", "postgresql://ann@127.0.0.1:5433/x",
                "postgresql://ann@[::1]:5433/fashion", "postgresql://ann@LocalHost:5433/fashion"):  # fmt: skip
        assert server_account(url) == ("localhost", 5433, "ann"), url
    assert server_account("postgresql://ann@DB.Example/fashion") == ("db.example", 5432, "ann")


def test_a_unix_socket_directory_keeps_its_case() -> None:
    """Socket directories are paths, case-sensitive: ``/run/PG`` and ``/run/pg`` are two servers
    (the host was lower-cased like a host name, making them one account)."""
    upper = server_account("postgresql://ann@/fashion?host=/run/PG")
    lower = server_account("postgresql://ann@/fashion?host=/run/pg")
    assert upper == ("/run/PG", 5432, "ann")
    assert upper != lower
