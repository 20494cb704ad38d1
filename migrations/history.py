"""What a revision runs, frozen when it was written.

- `sql_file`: a SQL function's versioned text: services/hotline_ingest/sql/<function>/
  <revision>.sql for the hotline's functions, services/reform_tasks/sql/<function>/
  <revision>.sql for the tasks schema's, shared/sql/<function>/<revision>.sql for the
  platform's. The revision that introduces a version pins its sha256, so the file cannot change
  after the fact: a rule changes in a new version of the file (diff it against the previous
  one), loaded by a new revision. tests/test_sql_functions.py checks that the newest version of
  each is what the database runs.
- `script`: an earlier revision's module constant, so a downgrade restores exactly what that
  revision created, without a second copy.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where each schema's functions live, a directory per function.
SQL_DIRS = {
    "hotline": ROOT / "services" / "hotline_ingest" / "sql",
    "platform": ROOT / "shared" / "sql",
    "tasks": ROOT / "services" / "reform_tasks" / "sql",
}


class ChangedAfterTheFact(RuntimeError):
    pass


def sql_file(function: str, revision: str, sha256: str) -> str:
    """The text of `<schema's directory>/<name>/<revision>.sql` of `function` ("schema.name"),
    refused unless its sha256 is `sha256`."""
    schema, name = function.split(".")
    path = SQL_DIRS[schema] / name / f"{revision}.sql"
    text = path.read_text(encoding="utf-8")
    if hashlib.sha256(text.encode()).hexdigest() != sha256:
        raise ChangedAfterTheFact(
            f"{path} changed after revision {revision} was written: put the change in a new "
            "version of the file, loaded by a new revision"
        )
    return text


def script(revision: str, name: str) -> str:
    """The SQL script `name` (a module constant) of migration `revision` (e.g. "0008h")."""
    path = next((Path(__file__).parent / "versions").glob(f"*-{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(getattr(module, name))
