"""Writes each database spells its own way: INSERT ignoring conflicts, upserts, bulk UPDATEs.

The phases call these and never ask which database they run on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Column, ColumnElement, MetaData, Table, bindparam, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cam.core.columns import Base

DialectInsert = postgresql.Insert | sqlite.Insert
# Rows per UPDATE executemany where there is no COPY.
UPDATE_BATCH = 500


def is_postgresql(session: Session) -> bool:
    """Tell whether the session talks to PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(dialect_name: str, model: type[Base] | Table) -> DialectInsert:
    """Return the database's own INSERT into `model`: the one that knows ON CONFLICT."""
    table = model if isinstance(model, Table) else cast(Table, model.__table__)
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def ignoring_conflicts(
    dialect_name: str, model: type[Base] | Table, on: Sequence[str] | None = None
) -> DialectInsert:
    """Return an INSERT that skips a row whose unique key (`on`, else any) is taken."""
    return dialect_insert(dialect_name, model).on_conflict_do_nothing(index_elements=on)


def insert_ignoring(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    on: Sequence[str] | None = None,
    returning: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skipping those whose unique key (`on`, else any) is taken.

    Returns the `returning` columns of the rows this call inserted: two callers racing
    for one key both succeed, and only one gets the row back.
    """
    if not rows:
        return []
    stmt = ignoring_conflicts(session.get_bind().dialect.name, model, on)
    if not returning:
        session.execute(stmt, list(rows))
        return []
    return [tuple(row) for row in session.execute(stmt.returning(*returning), list(rows))]


def upsert(
    session: Session,
    model: type[Base],
    row: Mapping[str, Any],
    *,
    key: Sequence[str],
    where: ColumnElement[bool] | None = None,
    returning: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """Insert `row`, or update every other column of the row that has its `key` (if `where`).

    Returns the `returning` columns when the insert or the update happened.
    """
    stmt = dialect_insert(session.get_bind().dialect.name, model).values(**row)
    changes = {name: stmt.excluded[name] for name in row if name not in key}
    upserted = stmt.on_conflict_do_update(index_elements=list(key), set_=changes, where=where)
    if not returning:
        session.execute(upserted)
        return []
    return [tuple(row) for row in session.execute(upserted.returning(*returning))]


def update_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str,
    also: Mapping[str, Any] | None = None,
) -> None:
    """Update `table` from `rows` (each has `key` and the same columns), plus `also` on each.

    SQLite gets batched UPDATEs. PostgreSQL pays a round of index upkeep per UPDATE
    statement row either way, but a single UPDATE joined to a COPY-filled temporary table
    does it several times faster.
    """
    if not rows:
        return
    columns = [name for name in rows[0] if name != key]
    if not is_postgresql(session):
        stmt = (
            update(table)
            .where(table.c[key] == bindparam(f"b_{key}"))
            .values({**{name: bindparam(f"b_{name}") for name in columns}, **(also or {})})
        )
        for batch in _chunks(rows, UPDATE_BATCH):
            session.execute(stmt, [{f"b_{name}": v for name, v in row.items()} for row in batch])
        return
    loaded = _copied(session, table, [key, *columns], rows)
    session.execute(
        update(table)
        .where(table.c[key] == loaded.c[key])
        .values({**{name: loaded.c[name] for name in columns}, **(also or {})})
    )
    loaded.drop(session.connection())


def analyze(session: Session, model: type[Base]) -> None:
    """Refresh the planner statistics of `model`'s table on PostgreSQL (SQLite needs none).

    A table filled in bulk has none until autovacuum's first ANALYZE, and PostgreSQL then
    joins it in a nested loop: the send claim over 5,000 fresh leads took 3 s, not 13 ms.
    SQLite plans those queries by their indexes alone, and never refreshes statistics itself.
    """
    if is_postgresql(session):
        session.execute(text(f"ANALYZE {cast(Table, model.__table__).name}"))


def _copied(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> Table:
    """Fill a temporary copy of `columns` of `table` with COPY (dropped at commit at the latest)."""
    temporary = Table(
        f"{table.name}_rows",
        MetaData(),
        *(Column(name, table.c[name].type) for name in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    connection = session.connection()
    temporary.create(connection)
    dialect = connection.dialect
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        names = ", ".join(columns)
        with cursor.copy(f"COPY {temporary.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    tuple(
                        value if process is None else process(value)
                        for process, value in zip(
                            processors, (row[n] for n in columns), strict=True
                        )
                    )
                )
    session.execute(text(f"ANALYZE {temporary.name}"))
    return temporary


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
