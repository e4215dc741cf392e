"""PostgreSQL backend of the project store: one project shared by many operators' desktops.

A project URL ``postgresql://user@host:port/db?project=NAME`` selects it (see
:func:`fashion_annotator.dataset.store.open_project`). The database holds the index, the photos
(uploaded), every mask and proposal PNG and the model files, each written in the transaction of
its index row; every desktop keeps a local working folder (photos fetched on first use, the
superpixel and probability caches, the recovery journal).
"""

from fashion_annotator.dataset.postgres.url import ProjectURL, is_postgres_url, parse_url

__all__ = ["ProjectURL", "is_postgres_url", "parse_url"]
