"""hotline: a group of deliveries stored set-wise, outbox ids per event, raw bodies sealed

Three changes to the webhook's SQL (migration 0008h):

1. `hotline.receive_batch` stores a group in three statements (deliveries and events; the
   duplicate-event marks; `hotline.settle`, which derives, stores and tells every touched order
   once) instead of a dozen statements per delivery (docs/PERFORMANCE.md "hotline_ingest").
   `hotline.receive` is the group of one; `hotline.refresh_work_order` settles one order.
2. The outbox id of a told event is derived from (order, event, moment), so telling it again — an
   order that was told, then quarantined by a reassignment to an unknown unit, then released —
   is a no-op for the outbox and for evaluation (facts are keyed by event id). Before, the
   release told every event a second time.
3. The raw body of a delivery carries the contact's name and phone: it is kept encrypted
   (`body_enc`, Fernet with `PII_ENCRYPTION_KEY`, like the work order's contact) instead of as
   plain text. Existing rows are encrypted in place.

Revision ID: 0010h
Revises: 0009r
Create Date: 2026-12-01 18:00:00+00:00
"""

import base64
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from migrations.history import script, sql_file

revision: str = "0010h"
down_revision: str | None = "0009r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP_0008H = """
DROP FUNCTION hotline.receive_batch(text[], text[], text[], text[], text[], text[], text[],
    text[], timestamptz[], text[], bytea[], bytea[], jsonb);
-- statement
DROP FUNCTION hotline.receive(text, text, jsonb, text, text, text, jsonb, text, timestamptz,
    jsonb, bytea, bytea, jsonb);
-- statement
DROP FUNCTION hotline.refresh_work_order(text, bytea, bytea, jsonb, text, timestamptz);
-- statement
DROP FUNCTION hotline.tell(hotline.work_order_state, text, text, timestamptz, jsonb, text);
"""

DROP_0010H = """
DROP FUNCTION hotline.refresh_work_order(text, bytea, bytea, jsonb, text, timestamptz);
-- statement
DROP FUNCTION hotline.receive(text, text, jsonb, bytea, text, text, jsonb, text, timestamptz,
    jsonb, bytea, bytea, jsonb);
-- statement
DROP FUNCTION hotline.receive_batch(text[], text[], text[], bytea[], text[], text[], text[],
    text[], timestamptz[], text[], bytea[], bytea[], jsonb);
-- statement
DROP FUNCTION hotline.settle(text[], bigint[], bytea[], bytea[], jsonb);
"""

# services/hotline_ingest/sql/<function>/0010h.sql, pinned by their sha256.
SETTLE = sql_file(
    "hotline.settle", "0010h", "39d35d73761da315be26526575dc6ab94a7c4ca9240aca4620184d1287d11b41"
)
RECEIVE_BATCH = sql_file(
    "hotline.receive_batch",
    "0010h",
    "66abaf205174889da5f640de35adede324c532736c9e279f331c8322ae2fc2f8",
)
RECEIVE = sql_file(
    "hotline.receive", "0010h", "78a4f85d18e72d111accd364b918ada23e3947c7b789f1ed1efc602439291ad0"
)
REFRESH_WORK_ORDER = sql_file(
    "hotline.refresh_work_order",
    "0010h",
    "34d6fc0a654a8fec7459401e6c913ded7e3eb20360387aa0e9259e5e340b0aa7",
)
FUNCTIONS = (SETTLE, RECEIVE_BATCH, RECEIVE, REFRESH_WORK_ORDER)

CHUNK = 1000


def _run(statements: str) -> None:
    for statement in statements.split("-- statement"):
        if statement.strip():
            op.execute(statement)


def _reseal(source: str, target: str, convert: Callable[[Any], Any]) -> None:
    """Copy `source` into `target` through `convert`, a chunk of rows at a time."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                f"SELECT id, {source} FROM hotline.deliveries WHERE id > :last"  # noqa: S608
                " ORDER BY id LIMIT :chunk"
            ),
            {"last": last, "chunk": CHUNK},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(f"UPDATE hotline.deliveries SET {target} = :value WHERE id = :id"),  # noqa: S608
            [{"id": row[0], "value": convert(row[1])} for row in rows],
        )
        last = rows[-1][0]


def _key() -> str:
    """PII_ENCRYPTION_KEY, handed over by migrations/env.py (this file reads no live settings)."""
    return str(context.config.attributes["pii_encryption_key"])


def _seal(key: str) -> Callable[[str], bytes]:
    """Sealing as it was when this migration was written: Fernet under the key itself."""
    fernet = Fernet(key.encode())
    return lambda body: fernet.encrypt(body.encode())


def _open(key: str) -> Callable[[bytes], str]:
    """Opening for the downgrade: a body this migration sealed (Fernet), or one the webhook
    sealed since (0x01, a 96-bit nonce, AES-256-GCM under an HKDF-SHA256 key; shared/crypto.py
    as of 2026-12-05). A body sealed under another key opens as the empty string."""
    fernet = Fernet(key.encode())
    material = base64.urlsafe_b64decode(key.encode())
    info = b"reform-platform pii aes-256-gcm v1"
    aead = AESGCM(HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(material))

    def open_one(token: bytes) -> str:
        token = bytes(token)
        try:
            if token[:1] == b"\x01":
                return aead.decrypt(token[1:13], token[13:], None).decode()
            return fernet.decrypt(token).decode()
        except (InvalidTag, InvalidToken, ValueError):
            return ""

    return open_one


def upgrade() -> None:
    seal = _seal(_key())
    op.add_column("deliveries", sa.Column("body_enc", sa.LargeBinary()), schema="hotline")
    _reseal("body", "body_enc", seal)
    op.alter_column("deliveries", "body_enc", nullable=False, schema="hotline")
    op.drop_column("deliveries", "body", schema="hotline")
    _run(DROP_0008H)
    for statement in FUNCTIONS:
        op.execute(statement)


def downgrade() -> None:
    unseal = _open(_key())
    _run(DROP_0010H)
    for function in ("TELL", "REFRESH_WORK_ORDER", "RECEIVE", "RECEIVE_BATCH"):
        op.execute(script("0008h", function))
    op.add_column("deliveries", sa.Column("body", sa.Text()), schema="hotline")
    _reseal("body_enc", "body", unseal)
    op.alter_column("deliveries", "body", nullable=False, schema="hotline")
    op.drop_column("deliveries", "body_enc", schema="hotline")
