#!/bin/sh
# Recreate and migrate the benchmark database (PostgreSQL on 127.0.0.1).
set -e
DB=${BENCH_DB:-helper_d_bench}
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB .venv/bin/python manage.py migrate --noinput >/dev/null
