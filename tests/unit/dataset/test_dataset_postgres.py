"""What only the PostgreSQL backend promises: bytes in the database, leases tied to sessions."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from PIL import Image
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.postgres import parse_url
from fashion_annotator.dataset.postgres import schema as pg_schema
from fashion_annotator.dataset.store import LeaseHeld, ProjectError, create_project, open_project

HOLDER = """
import sys
from fashion_annotator.dataset.store import open_project

project = open_project(sys.argv[1], user="carol")
project.acquire_lease(int(sys.argv[2]), ttl_s=float(sys.argv[3]))
print("held", flush=True)
sys.stdin.read()
"""


def test_url_parsing() -> None:
    url = parse_url("postgresql://ann:secret@db.example:6543/studio?project=spring&sslmode=require")
    assert (url.project, url.schema, url.host, url.port, url.database) == (
        "spring", "fa_spring", "db.example", 6543, "studio"
    )  # fmt: skip
    assert "secret" not in url.display and "project" not in url.conninfo
    assert "sslmode=require" in url.conninfo
    assert url.local_root().name == "spring"
    with pytest.raises(ValueError, match=r"needs one \?project=NAME"):
        parse_url("postgresql://ann@db/studio")
    with pytest.raises(ValueError, match="must be 1-40 of a-z"):
        parse_url("postgresql://ann@db/studio?project=Bad-Name")
    with pytest.raises(ValueError, match="names no database"):
        parse_url("postgresql://ann@db?project=a")


def test_a_url_setting_with_a_space_reaches_the_server_unchanged(pg_url: str) -> None:
    extra = "&application_name=QA%20desk%202&options=-c%20statement_timeout%3D5000"
    given = conninfo_to_dict(parse_url(pg_url + extra).conninfo)
    assert (given["application_name"], given["options"]) == ("QA desk 2", "-c statement_timeout=5000")
    create_project(pg_url, tasks=("garment",)).close()
    with open_project(pg_url + extra) as project:
        row = project._db.conn.execute(
            "SELECT current_setting('application_name') AS a, current_setting('statement_timeout') AS s"
        ).fetchone()
    assert (row["a"], row["s"]) == ("QA desk 2", "5s")
    # a literal '+' reaches libpq as written (a review: it became a space after the fix above)
    plus = conninfo_to_dict(parse_url(pg_url + "&options=-c%20timezone=Etc/GMT+3&sslrootcert=/etc/ca+chain.pem").conninfo)
    assert (plus["options"], plus["sslrootcert"]) == ("-c timezone=Etc/GMT+3", "/etc/ca+chain.pem")


def test_a_password_never_appears_in_a_connection_error() -> None:
    url = "postgresql://pwuser:top%ZZsecret@127.0.0.1:1/x?project=p&connect_timeout=2"
    with pytest.raises(ProjectError, match="cannot connect") as refused:
        open_project(url)
    assert "secret" not in str(refused.value) and "pwuser:***@" in str(refused.value)
    assert parse_url(url).scrub('token "top%ZZsecret", or top%ZZsecret') == 'token "***", or ***'
    assert parse_url("postgresql://u:p%40ss@h/d?project=p").scrub("p@ss and p%40ss") == "*** and ***"
    # a password given as a setting (a review: it showed in every message about the project)
    query = "postgresql://pwuser@127.0.0.1:1/x?project=p&password=Hunter2+Secret&connect_timeout=2"
    with pytest.raises(ProjectError, match="cannot connect") as refused:
        open_project(query)
    assert "Hunter2" not in str(refused.value) and "password=***" in str(refused.value)
    assert "Hunter2" not in parse_url(query).display
    assert parse_url(query).scrub('password "Hunter2+Secret" rejected') == 'password "***" rejected'


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(ProjectError, match=r"127.0.0.1:1/x\?project=p&connect_timeout=2: cannot connect: .*refused"):
        open_project("postgresql://nobody@127.0.0.1:1/x?project=p&connect_timeout=2")


def test_a_killed_clients_lease_is_free_when_it_expires(pg_url: str, photo: Path) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        child = subprocess.Popen(
            [sys.executable, "-c", HOLDER, pg_url, str(rec.id), "3"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )  # fmt: skip
        try:
            assert child.stdout.readline().strip() == "held"
            with pytest.raises(LeaseHeld, match="carol@") as caught:
                alice.acquire_lease(rec.id)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            child.kill()
        time.sleep(0.5)  # the server has ended its session: the lease is held all the same
        with pytest.raises(LeaseHeld, match="carol@"):
            alice.acquire_lease(rec.id, ttl_s=60)
        time.sleep(max(0.0, caught.value.expires - time.time()) + 0.2)
        assert alice.acquire_lease(rec.id, ttl_s=60).holder.startswith("alice@")


def test_a_second_desktop_reads_everything_from_the_database(
    pg_url: str, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"weights")
    weights.with_suffix(".json").write_text('{"task": "garment"}')
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        mask = np.zeros(rec.shape, np.uint8)
        mask[3:9, 4:20] = 1
        alice.save_mask(rec.id, "garment", mask, status="done")
        alice.save_proposal(rec.id, "garment", 1 - mask, "shipped")
        alice.register_model("garment", weights, {"dice": 0.9}, [rec.name], activate=True)
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "desktop-2"))
    with open_project(pg_url, user="bob") as bob:
        assert bob.root != alice.root and not (bob.root / "images" / rec.name).exists()
        assert bob.image(rec.id).path.read_bytes() == photo.read_bytes()
        np.testing.assert_array_equal(bob.load_mask(rec.id, "garment"), mask)
        proposal = bob.proposals(rec.id, "garment")[0].path
        assert proposal.is_file()
        proposal.write_bytes(b"a stale copy of a re-created project's proposal")
        shown = bob.proposals(rec.id, "garment")[0].path  # the database's bytes win
        np.testing.assert_array_equal(load_mask(shown), 1 - mask)
        model = bob.active_model("garment")
        assert model.path.read_bytes() == b"weights"
        assert model.path.with_suffix(".json").read_text() == '{"task": "garment"}'
        [(image_id, photo_path, mask_path)] = bob.training_items("garment")
        assert photo_path.is_file() and mask_path.is_file()


def test_a_failed_save_leaves_neither_row_nor_bytes(pg_url: str, photo: Path) -> None:
    with create_project(pg_url, user="alice") as project:
        rec = project.add_image(photo)
        project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
        # The server fails the save half way (as on a full disk): after the version's insert.
        project._conn.execute(
            "CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;"
            "CREATE TRIGGER fail BEFORE UPDATE ON images FOR EACH ROW EXECUTE FUNCTION fail()"
        )
        with pytest.raises(ProjectError, match="cannot write the project: could not extend"):
            project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8), status="done")
        project._conn.execute("DROP TRIGGER fail ON images")
        assert [v.version for v in project.mask_versions(rec.id, "garment")] == [1]
        assert project.load_mask(rec.id, "garment").min() == 1
        assert project.image(rec.id).status == "new"
        assert project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8)).version == 2


def test_schema_migrations(pg_url: str) -> None:
    url = parse_url(pg_url)
    create_project(pg_url).close()
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        assert pg_schema.migrate(conn, url.schema) == pg_schema.SCHEMA_VERSION  # nothing to do
        conn.execute(
            f"UPDATE {url.schema}.meta SET value = %s WHERE key = 'schema_version'",
            (str(pg_schema.SCHEMA_VERSION + 1),),
        )
    with pytest.raises(ProjectError, match="newer than this program"):
        open_project(pg_url)


def test_a_schema_version_that_is_not_a_number_is_a_clear_error(pg_url: str) -> None:
    url = parse_url(pg_url)
    create_project(pg_url).close()
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        conn.execute(f"UPDATE {url.schema}.meta SET value = 'abc' WHERE key = 'schema_version'")
    with pytest.raises(ProjectError, match=f"project '{url.project}': its schema version 'abc' .* not a number"):
        open_project(pg_url)


def test_a_read_only_account_or_session_opens_an_up_to_date_project(
    pg_server, pg_url: str, photo: Path
) -> None:
    with create_project(pg_url, tasks=("garment",)) as project:
        image_id = project.add_image(photo).id
        project.save_mask(image_id, "garment", np.ones((24, 32), np.uint8))
        assert project.readonly is None
        schema = project.url.schema
    role = f"viewer_{schema[3:]}"
    with psycopg.connect(pg_server.database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(role)))
        admin.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
            sql.Identifier(schema), sql.Identifier(role)))  # fmt: skip
    viewer = re.sub("://[^@/]*@", f"://{role}@", pg_url, count=1)
    standby = pg_url + "&options=-c%20default_transaction_read_only%3Don"
    for url, why in ((viewer, f"account {role} may not write"), (standby, "session is read-only")):
        with open_project(url) as project:
            assert why in (project.readonly or "")
            assert [r.id for r in project.images()] == [image_id]
            assert project.load_mask(image_id, "garment").sum() == 24 * 32
            with pytest.raises(ProjectError):
                project.set_status(image_id, "done")


def test_a_version_1_project_gains_the_instance_tables(pg_url: str) -> None:
    url = parse_url(pg_url)
    create_project(pg_url).close()
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        conn.execute(
            f"DROP TABLE {url.schema}.label_sets; DROP TABLE {url.schema}.instances; DROP TABLE {url.schema}.instance_versions;"
            f" ALTER TABLE {url.schema}.decisions DROP COLUMN mask_version;"
            f" UPDATE {url.schema}.meta SET value = '1' WHERE key = 'schema_version'"
        )
    with open_project(pg_url) as project:
        assert project.images_with_instances() == []
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        assert pg_schema.schema_version(conn, url.schema) == pg_schema.SCHEMA_VERSION == 4


def test_a_dropped_connection_is_made_again_and_keeps_its_leases(
    pg_url: str, photo: Path
) -> None:
    with create_project(pg_url, user="alice") as alice, open_project(pg_url, user="bob") as bob:
        rec = alice.add_image(photo)
        alice.acquire_lease(rec.id, ttl_s=60)
        bob.image(rec.id)
        alice_pid = alice._conn.info.backend_pid
        bob._conn.execute("SELECT pg_terminate_backend(%s)", (alice_pid,))
        assert alice.image(rec.id).id == rec.id  # the read that met it is run on a new one
        assert alice._conn.info.backend_pid != alice_pid
        with pytest.raises(LeaseHeld, match="alice@"):
            bob.acquire_lease(rec.id)  # the lease followed alice to her new session
        assert alice.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8)).version == 1


def test_an_upgrade_applies_once_and_a_failed_one_changes_nothing(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = parse_url(pg_url)
    create_project(pg_url).close()
    broken = (*pg_schema.MIGRATIONS, "ALTER TABLE images ADD COLUMN note TEXT; SELECT 1/0")
    monkeypatch.setattr(pg_schema, "MIGRATIONS", broken)
    monkeypatch.setattr(pg_schema, "SCHEMA_VERSION", len(broken))
    with pytest.raises(ProjectError, match="division by zero"):
        open_project(pg_url)
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        assert pg_schema.schema_version(conn, url.schema) == len(broken) - 1
    good = (*pg_schema.MIGRATIONS[:-1], "ALTER TABLE images ADD COLUMN note TEXT")
    monkeypatch.setattr(pg_schema, "MIGRATIONS", good)
    with open_project(pg_url) as project:
        assert project._db.query("SELECT note FROM images") == []
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        assert pg_schema.migrate(conn, url.schema) == len(good)  # already there: nothing to do


def test_a_project_created_again_under_its_name_never_shows_the_old_copies(
    pg_url: str, pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project is dropped and made again (from another desktop) with a different photo of
    # the same name: this desktop's copy of the old photo, and its recovery journal, must not
    # pass for the new project's.
    first, second = tmp_path / "a" / "look.jpg", tmp_path / "b" / "look.jpg"
    for path, value in ((first, 40), (second, 200)):
        path.parent.mkdir()
        Image.fromarray(np.full((12, 16, 3), value, np.uint8)).save(path)
    here = os.environ["FA_LOCAL_DIR"]
    with create_project(pg_url, user="alice") as old:
        old_root = old.root
        assert old.image(old.add_image(first).id).path.read_bytes() == first.read_bytes()
    (old_root / "journal").mkdir(exist_ok=True)
    (old_root / "journal" / "entry.json").write_text("{}")
    schema = "fa_" + pg_url.rsplit("project=", 1)[1]
    with psycopg.connect(pg_server.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "desktop-2"))
    with create_project(pg_url, user="bob") as new:
        rec = new.add_image(second)
        assert rec.name == "look.jpg"
    monkeypatch.setenv("FA_LOCAL_DIR", here)
    with open_project(pg_url, user="alice") as again:
        assert again.root == old_root
        assert again.image(rec.id).path.read_bytes() == second.read_bytes()
        assert not (again.root / "journal" / "entry.json").exists()
    (aside,) = old_root.parent.glob(f"{old_root.name}.before-*")
    assert (aside / "images" / "look.jpg").read_bytes() == first.read_bytes()
    assert (aside / "journal" / "entry.json").is_file(), "kept aside, never deleted"
    with open_project(pg_url) as same:  # the same project once more: its folder is kept
        assert same.image(rec.id).path.read_bytes() == second.read_bytes()
    assert len(list(old_root.parent.glob(f"{old_root.name}.before-*"))) == 1


def test_mask_versions_of_task_is_one_query_without_the_pngs(pg_url: str, photo: Path, monkeypatch) -> None:
    """A task's versions of every image come in one round trip, and no mask's bytes with them
    (the Review tab reads them at each refresh)."""
    with create_project(pg_url, user="alice") as project:
        ids = [project.add_image(photo).id]
        mask = np.zeros(project.image(ids[0]).shape, np.uint8)
        for _ in range(3):
            project.save_mask(ids[0], "garment", mask)
        queries: list[str] = []
        real = project._db.query
        monkeypatch.setattr(project._db, "query", lambda q, args=(): queries.append(str(q)) or real(q, args))
        versions = project.mask_versions_of_task("garment")
        assert len(queries) == 1 and "png" not in queries[0]
        assert versions == {ids[0]: project.mask_versions(ids[0], "garment")}
        assert [v.version for v in versions[ids[0]]] == [1, 2, 3]


def test_a_status_changed_during_a_search_is_not_listed_under_the_old_one(
    pg_url: str, tmp_path: Path, monkeypatch
) -> None:
    """A search with a status filter reads the names, then the rows found: the second query
    dropped the status, so a photo set to done in between was listed under ``new``."""
    with create_project(pg_url, user="alice") as project:
        ids = []
        for seed in range(2):
            path = tmp_path / f"look{seed}.png"
            Image.fromarray(np.random.default_rng(seed).integers(0, 256, (8, 8, 3), np.uint8)).save(path)
            ids.append(project.add_image(path).id)
        real = project._db.query

        def query(q, args=()):
            rows = real(q, args)
            if "SELECT id, name" in str(q):  # another desktop saves look0 now
                project.set_status(ids[0], "done")
            return rows

        monkeypatch.setattr(project._db, "query", query)
        assert [r.id for r in project.images(status="new", search="look")] == [ids[1]]
