"""An earlier migration's SQL functions, read from its file: a downgrade restores exactly what
that migration created, without a second copy of the SQL."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def script(revision: str, name: str) -> str:
    """The SQL script `name` (a module constant) of migration `revision` (e.g. "0008h")."""
    path = next((Path(__file__).parent / "versions").glob(f"*-{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(getattr(module, name))


def function_statements(revision: str) -> list[str]:
    """The statements of the `FUNCTIONS` script of migration `revision` (e.g. "0008h")."""
    return [s for s in script(revision, "FUNCTIONS").split("-- statement") if s.strip()]


def create_function(revision: str, name: str, *, replace: bool = False) -> str:
    """The `CREATE FUNCTION name(` statement of that script (as `CREATE OR REPLACE` if asked)."""
    marker = f"CREATE FUNCTION {name}("
    (statement,) = [s for s in function_statements(revision) if marker in s]
    return (
        statement.replace(marker, f"CREATE OR REPLACE FUNCTION {name}(") if replace else statement
    )
