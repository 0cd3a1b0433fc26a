"""Database triggers that queue survey responses for the roll-ups (``ResponseChange``).

Every insert into ``surveys_response`` queues a ``"n"`` row (not counted
yet); an update that changes what the roll-ups count (office, submission
time, procedure, channel, dossier, questionnaire, flag) or a delete queues
``"t"`` rows with the old and new values. Triggers rather than application
code: the queue row commits or rolls back with the response itself, whatever
path wrote it (ORM, the one-statement submission, bulk inserts, COPY, SQL by
hand), so a refresh never misses a response nor counts one twice.

PostgreSQL: statement-level triggers with transition tables (one INSERT per
statement, however many rows: a COPY of 10,000 responses queues them in one
go). SQLite: row-level triggers. SQLite drops a table's triggers when Django
rebuilds the table in a migration, so ``install`` also runs after every
``migrate`` (``reports.apps``); it is idempotent.
"""

QUEUE = "reports_responsechange"
RESPONSES = "surveys_response"
# What the survey roll-ups read from a response (reports.services._response_arms and
# _answer_arms) and what places it in a dossier's counts.
COUNTED = (
    "office_id",
    "submitted_at",
    "procedure_id",
    "channel",
    "flagged",
    "dossier_id",
    "questionnaire_id",
)
VALUES = ("id", "office_id", "submitted_at", "dossier_id")
TRIGGERS = ("reports_response_new", "reports_response_changed", "reports_response_deleted")


def _row(prefix):
    return ", ".join(f"{prefix}.{c}" for c in COUNTED)


def _values(prefix):
    return ", ".join(f"{prefix}.{c}" for c in VALUES)


def _postgresql():
    target = f"{QUEUE} (kind, response_id, office_id, submitted_at, dossier_id)"
    return [
        f"""CREATE OR REPLACE FUNCTION reports_response_new() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {QUEUE} (kind, response_id) SELECT 'n', id FROM new_rows;
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION reports_response_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {target}
            SELECT 't', v.* FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES ({_values("o")}), ({_values("n")}))
                AS v (id, office_id, submitted_at, dossier_id)
            WHERE ({_row("o")}) IS DISTINCT FROM ({_row("n")});
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION reports_response_deleted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {target} SELECT 't', {_values("o")} FROM old_rows o;
            RETURN NULL;
        END $$""",
        *(f"DROP TRIGGER IF EXISTS {name} ON {RESPONSES}" for name in TRIGGERS),
        f"""CREATE TRIGGER reports_response_new AFTER INSERT ON {RESPONSES}
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION reports_response_new()""",
        f"""CREATE TRIGGER reports_response_changed AFTER UPDATE ON {RESPONSES}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION reports_response_changed()""",
        f"""CREATE TRIGGER reports_response_deleted AFTER DELETE ON {RESPONSES}
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION reports_response_deleted()""",
    ]


def _sqlite():
    target = f"{QUEUE} (kind, response_id, office_id, submitted_at, dossier_id)"
    return [
        f"""CREATE TRIGGER IF NOT EXISTS reports_response_new AFTER INSERT ON {RESPONSES}
        BEGIN INSERT INTO {QUEUE} (kind, response_id) VALUES ('n', NEW.id); END""",
        f"""CREATE TRIGGER IF NOT EXISTS reports_response_changed AFTER UPDATE ON {RESPONSES}
        WHEN ({_row("OLD")}) IS NOT ({_row("NEW")})
        BEGIN INSERT INTO {target}
            VALUES ('t', {_values("OLD")}), ('t', {_values("NEW")}); END""",
        f"""CREATE TRIGGER IF NOT EXISTS reports_response_deleted AFTER DELETE ON {RESPONSES}
        BEGIN INSERT INTO {target} VALUES ('t', {_values("OLD")}); END""",
    ]


def install(connection):
    """Create (or replace) the triggers; a no-op before both tables exist."""
    tables = set(connection.introspection.table_names())
    if QUEUE not in tables or RESPONSES not in tables:
        return
    statements = _postgresql() if connection.vendor == "postgresql" else _sqlite()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection):
    """Drop the triggers (and PostgreSQL's functions), e.g. before the queue table goes."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {RESPONSES}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def installed(connection) -> set[str]:
    """Return the names of this module's triggers present on ``surveys_response``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [RESPONSES],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [RESPONSES],
            )
        return {row[0] for row in cursor.fetchall()} & set(TRIGGERS)
