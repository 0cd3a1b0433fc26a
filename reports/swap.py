"""Rebuild whole tables on PostgreSQL by building new ones beside them and swapping them in.

A full refresh rewrites every roll-up row. Deleting and re-inserting tens of
millions of rows keeps every index up to date row by row, and PostgreSQL
runs ``INSERT … SELECT`` on one core. ``CREATE TABLE … AS SELECT`` may run
the aggregation on parallel workers, and an index built once over a
finished table (also in parallel) costs a fraction of its row-by-row upkeep.

``build`` creates ``<table>__new`` from a SELECT, in the column order and
types of the live table, with ids numbered in the SELECT's order; ``finish``
gives it the live table's NOT NULLs, CHECKs, identity, keys and indexes
(read from the catalog, so it follows the migrations); ``swap`` drops the
live tables and renames the new ones, their constraints, indexes and
sequences to the live names. Everything runs in the caller's transaction:
readers see the old rows until it commits, then the new ones; a failure
leaves the old tables untouched. The old and the new rows take disk space
side by side until the commit.
"""

import re
from dataclasses import dataclass, field

from django.db import connection

SUFFIX = "__new"


def _q(name):
    return connection.ops.quote_name(name)


@dataclass
class Shape:
    """A live table's definition as the catalog holds it."""

    table: str
    columns: list[tuple[str, str, bool, str]]  # (name, type, not null, identity "" / "a" / "d")
    checks: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)
    keys: list[tuple[str, str]] = field(default_factory=list)  # primary key and unique
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, CREATE INDEX …)
    sequences: dict[str, str] = field(default_factory=dict)  # identity column -> sequence
    built_rows: int = field(default=0, compare=False)  # rows of <table>__new, set by build()


def shape(table: str) -> Shape:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attidentity "
            "FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [table],
        )
        found = Shape(table=table, columns=[tuple(row) for row in cursor.fetchall()])
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        for name, kind, definition in cursor.fetchall():
            if kind == "c":
                found.checks.append((name, definition))
            elif kind in ("p", "u"):
                found.keys.append((name, definition))
            else:
                raise ValueError(f"{table}: constraint {name} ({kind}) is not copied by a swap")
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname",
            [table],
        )
        found.indexes = [tuple(row) for row in cursor.fetchall()]
        for name, _type, _not_null, identity in found.columns:
            if identity:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, name])
                found.sequences[name] = cursor.fetchone()[0]
    return found


def build(table: str, select_sql: str, params, columns: dict[str, str], *, order_by=()):
    """CREATE ``<table>__new`` AS the rows of ``select_sql``; return (live table's Shape, rows).

    ``columns`` maps each column of the live table but its identity column to
    an expression over the SELECT's columns (``s.<alias>``); values are cast
    to the live column types. ``order_by`` (expressions) orders the rows and
    their ids; otherwise ids follow the SELECT's output.
    """
    live = shape(table)
    select = []
    for name, type_, _not_null, identity in live.columns:
        if identity:
            over = f"ORDER BY {', '.join(order_by)}" if order_by else ""
            select.append(f"(row_number() OVER ({over}))::{type_} AS {_q(name)}")
        elif name in columns:
            select.append(f"({columns[name]})::{type_} AS {_q(name)}")
        else:
            raise ValueError(f"{table}: no value for column {name}")
    unknown = set(columns) - {c[0] for c in live.columns}
    if unknown:
        raise ValueError(f"{table}: no such columns {sorted(unknown)}")
    new = table + SUFFIX
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(new)}")
        cursor.execute(
            f"CREATE TABLE {_q(new)} AS SELECT {', '.join(select)} FROM ({select_sql}) s",
            params,
        )
        live.built_rows = cursor.rowcount
    return live, live.built_rows


def finish(live: Shape):
    """Give ``<table>__new`` the live table's NOT NULLs, CHECKs, identity, keys and indexes."""
    new = live.table + SUFFIX
    alters = [f"ALTER COLUMN {_q(name)} SET NOT NULL" for name, _t, nn, _i in live.columns if nn]
    alters += [f"ADD CONSTRAINT {_q(name)} {definition}" for name, definition in live.checks]
    with connection.cursor() as cursor:
        if alters:
            # One ALTER TABLE: one scan checks every NOT NULL and CHECK at once.
            cursor.execute(f"ALTER TABLE {_q(new)} {', '.join(alters)}")
        for name, _type, _not_null, identity in live.columns:
            if not identity:
                continue
            how = "ALWAYS" if identity == "a" else "BY DEFAULT"
            cursor.execute(
                f"ALTER TABLE {_q(new)} ALTER COLUMN {_q(name)} ADD GENERATED {how} AS IDENTITY"
            )
            # build() numbered the rows 1..n: the next id is n + 1 (no scan for max()).
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
                [new, name, live.built_rows + 1],
            )
        for name, definition in live.keys:
            cursor.execute(f"ALTER TABLE {_q(new)} ADD CONSTRAINT {_q(name + SUFFIX)} {definition}")
        for name, definition in live.indexes:
            cursor.execute(_index_on_new(live.table, name, definition))


_INDEX_DEF = re.compile(r"^(CREATE (?:UNIQUE )?INDEX )(\S+)( ON (?:ONLY )?)(\S+)( USING .*)$")


def _index_on_new(table, name, definition):
    """Return ``definition`` (pg_get_indexdef) re-aimed at the new table under a temporary name."""
    match = _INDEX_DEF.match(definition)
    if match is None:
        raise ValueError(f"{table}: unexpected index definition {definition}")
    head, _name, on, _table, rest = match.groups()
    return f"{head}{_q(name + SUFFIX)}{on}{_q(table + SUFFIX)}{rest}"


def swap(shapes: list[Shape]):
    """Drop the live tables and give the new ones their names (and their parts' names)."""
    with connection.cursor() as cursor:
        for live in shapes:
            new = live.table + SUFFIX
            cursor.execute(f"DROP TABLE {_q(live.table)}")
            cursor.execute(f"ALTER TABLE {_q(new)} RENAME TO {_q(live.table)}")
            for name, _definition in live.keys:
                # Renaming a key's constraint renames its index too.
                cursor.execute(
                    f"ALTER TABLE {_q(live.table)} RENAME CONSTRAINT {_q(name + SUFFIX)} "
                    f"TO {_q(name)}"
                )
            for name, _definition in live.indexes:
                cursor.execute(f"ALTER INDEX {_q(name + SUFFIX)} RENAME TO {_q(name)}")
            for column, sequence in live.sequences.items():
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [live.table, column])
                current = cursor.fetchone()[0]
                # The sequence's bare name (pg_get_serial_sequence qualifies it with the schema).
                cursor.execute(f"ALTER SEQUENCE {current} RENAME TO {_q(sequence.split('.')[-1])}")
