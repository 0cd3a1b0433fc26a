"""One-statement insert of a response and its answers on PostgreSQL (the submission fast path).

The response row and the answer rows travel as two JSON parameters that
PostgreSQL turns back into rows of the tables' own types
(``json_populate_record`` / ``json_populate_recordset``): the statement is
prepared once per connection, and each call only dumps two JSON strings
(C code) instead of converting and quoting some thirty parameters one by
one, which cost more CPU than the rest of the submission's database work.
"""

import datetime
import functools
import json
import uuid

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, models
from django.utils import timezone

from surveys.models import Answer, Response

STATEMENT = "surveys_response_insert"
# Answer columns written with a response (the response id comes from the insert).
ANSWER_COLUMNS = ("question_id", "value_int", "value_text", "value_choices", "satisfied")


@functools.cache
def _response_fields():
    return [f for f in Response._meta.local_concrete_fields if not f.primary_key]


@functools.cache
def _row_spec():
    """Return (column, attname, stamped, converter or None) for each response column.

    ``stamped``: an auto_now(_add) datetime, which save() sets to the current
    time. UUIDs and datetimes become their JSON text here, so the C encoder
    never calls back into Python for them.
    """
    spec = []
    for field in _response_fields():
        stamped = isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add)
        if isinstance(field, models.UUIDField):
            convert = _uuid_text
        elif isinstance(field, models.DateField):
            convert = _date_text
        else:
            convert = None
        spec.append((field.column, field.attname, stamped, convert))
    return spec


def _uuid_text(value):
    return str(value) if isinstance(value, uuid.UUID) else value


def _date_text(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


# One encoder for every call (json.dumps with ``default`` builds a new one each
# time); rows hold no containers that could refer to themselves.
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def insert_sql():
    """Return the statement: $1 = the response as a JSON object, $2 = the answers as an array."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    response_table, answer_table = qn(Response._meta.db_table), qn(Answer._meta.db_table)
    columns = ", ".join(qn(f.column) for f in _response_fields())
    answer_columns = ", ".join(qn(c) for c in ANSWER_COLUMNS)
    return (
        f"WITH r AS (INSERT INTO {response_table} ({columns}) "
        f"SELECT {columns} FROM json_populate_record(NULL::{response_table}, $1::json) "
        # A replayed client id or an already rated dossier inserts nothing.
        f"ON CONFLICT DO NOTHING RETURNING id), "
        f"a AS (INSERT INTO {answer_table} ({qn('response_id')}, {answer_columns}) "
        f"SELECT r.id, {', '.join('v.' + qn(c) for c in ANSWER_COLUMNS)} FROM r "
        f"CROSS JOIN json_populate_recordset(NULL::{answer_table}, $2::json) AS v) "
        f"SELECT id FROM r"
    )


def _response_row(response):
    """Return the response's column values, as save() would store them, by column name.

    Stamps the auto_now(_add) datetimes on the instance as save() does, with
    one current time for all of them.
    """
    row = {}
    now = timezone.now()
    now_text = now.isoformat()
    # Straight from the instance's dict: getattr runs the Python descriptor of
    # every foreign key column. A deferred field is not there: getattr loads it.
    values = response.__dict__
    for column, attname, stamped, convert in _row_spec():
        if stamped:
            setattr(response, attname, now)
            row[column] = now_text
        else:
            value = values[attname] if attname in values else getattr(response, attname)
            row[column] = value if convert is None else convert(value)
    return row


def insert_one_statement(response, answers) -> bool:
    """Insert ``response`` and its cleaned ``answers``; return False when a conflict kept it out.

    Atomic on its own (autocommit or inside the caller's transaction), and a
    conflict inserts nothing instead of raising, so no savepoint is needed.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    rows = [
        {
            "question_id": question.pk,
            "value_int": values.get("value_int"),
            "value_text": values.get("value_text", ""),
            "value_choices": values.get("value_choices", []),
            "satisfied": values.get("satisfied"),
        }
        for question, values in answers
    ]
    params = [_encode(_response_row(response)), _encode(rows)]
    inserted = _execute_idempotent(conn, params)
    if inserted is None:
        return False
    response.pk = inserted[0]
    response._state.adding = False
    response._state.db = conn.alias
    return True


def _execute_idempotent(conn, params):
    """Run the insert; in autocommit, retry it once on a new connection if the old one is dead.

    Stands in for Django's health check (``CONN_HEALTH_CHECKS``: a ``SELECT 1``
    round trip before a request's first query): the insert is idempotent
    (a replayed client id inserts nothing), so trying it on the kept
    connection and, if that connection turns out to be broken, once more on
    a fresh one stores the response exactly once with one round trip
    instead of two. If the first try was stored and only its answer lost,
    the retry finds the client id taken, as a replay does. Inside a
    transaction nothing is retried: the transaction is gone with its
    connection.
    """
    retry = conn.health_check_enabled and not conn.in_atomic_block and not conn.health_check_done
    if retry:
        conn.health_check_done = True
    try:
        with conn.cursor() as cursor:
            return execute_prepared(conn, cursor, STATEMENT, insert_sql, params)
    except (OperationalError, InterfaceError):
        # Not a dead kept connection (no connection could be made, or it
        # still answers: the error was the statement's): as without the retry.
        if not retry or conn.connection is None or conn.is_usable():
            raise
    conn.close()
    with conn.cursor() as cursor:
        return execute_prepared(conn, cursor, STATEMENT, insert_sql, params)


def execute_prepared(conn, cursor, name, make_sql, params):
    """Execute the SQL of ``make_sql()`` as the prepared statement ``name``; return the first row.

    PostgreSQL parses and plans the statement once per connection instead of
    on every submission. A prepared statement lives as long as its session,
    through rollbacks; a new connection prepares again. Not for poolers that
    reset sessions between transactions (PgBouncer in transaction mode).
    """
    prepared = getattr(conn, "_surveys_prepared", None)
    if prepared is None or prepared[0] is not conn.connection:
        prepared = conn._surveys_prepared = (conn.connection, set())
    if name not in prepared[1]:
        # No parameters here, so psycopg2 reads no placeholders in the SQL.
        cursor.execute(f"PREPARE {name} AS {make_sql()}")
        prepared[1].add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
    return cursor.fetchone()
