"""Catalogue import and search, on SQLite and PostgreSQL, against floors measured in the same run.

    .venv/bin/python bench/import_catalogue.py [--rows 200000]
        [--postgres postgresql://root@127.0.0.1/test] [--skip-postgres]

For each database (a fresh SQLite file; a throwaway PostgreSQL database, created and dropped):
migrate it, import the real UPR Info sample (sessions 1-5) and then a generated UPR Info CSV of
`--rows` rows with `import_file`; bulk-load the same recommendation values by the plainest path
(COPY, or one executemany) into a bare table (the import floor) and into a copy of
`recommendations` with its indexes (what the database itself must do); then time ten typical
catalogue queries through `service.search`, as the imports left the planner statistics and after
ANALYZE, against an unfiltered page read through the driver (the search floor). Figures are
printed, never asserted.

Every step runs in its own spawned process and the parent never imports the app: a spawned
child starts with its parent's peak RSS as its own `ru_maxrss`, so a small parent is what makes
each child's peak-memory growth its own.
"""

from __future__ import annotations

import argparse
import csv
import gc
import multiprocessing
import os
import resource
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

if TYPE_CHECKING:
    from app.core.db import Database

SAMPLE = Path("/work/shared/data/samples/upr-info/1-5.csv")
SAMPLE_ENCODING = "mac_roman"  # with CR line ends
HEADER = [
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
]
TEXT_COLUMN = HEADER.index("Text")
FLOOR_BARE = "bench_floor_bare"
FLOOR_SHAPED = "bench_floor_shaped"
SEARCH_RUNS = 20
SLOW_IMPORT_SECONDS = 120
PAGE = 50

# (label, CatalogueFilter arguments, read the second page)
QUERIES: list[tuple[str, dict[str, Any], bool]] = [
    ("state VNM", {"state": "VNM"}, False),
    ("state MEX + supported", {"state": "MEX", "position": "supported"}, False),
    ("theme Women's rights", {"theme": "Women's rights"}, False),
    ("recommended by CAN", {"recommending_state": "CAN"}, False),
    ("session 4", {"session": 4}, False),
    ("cycle 1 + state ISR", {"cycle": 1, "state": "ISR"}, False),
    ('q "torture"', {"q": "torture"}, False),
    ('q "women rights"', {"q": "women rights"}, False),
    ('q "torture" + state MEX', {"q": "torture", "state": "MEX"}, False),
    ("state VNM, page 2", {"state": "VNM"}, True),
]


# --- the input file -----------------------------------------------------------------------------


def write_upr_info_file(path: Path, rows: int) -> None:
    """`rows` rows cycling through the sample's, each text made unique, as UTF-8."""
    with SAMPLE.open(encoding=SAMPLE_ENCODING, newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        assert header == HEADER, header
        source = list(reader)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for n in range(rows):
            row = list(source[n % len(source)])
            row[TEXT_COLUMN] = f"{row[TEXT_COLUMN].rstrip()} (variant {n})"
            writer.writerow(row)


# --- steps, each run in a spawned child ---------------------------------------------------------


def in_child(step: Callable[..., Any], *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(step, *args).result()


def _max_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _database(url: str) -> Database:
    from app.core.db import Database

    return Database.from_url(url)


def _recommendation_columns() -> list[str]:
    """What an import stores on `recommendations`, the association tables left out."""
    from app.recommendations.models import Recommendation

    return [column.name for column in Recommendation.__table__.columns]  # type: ignore[attr-defined]


def step_migrate(url: str) -> float:
    from app.migrate import migrate

    database = _database(url)
    start = time.perf_counter()
    migrate(database)
    seconds = time.perf_counter() - start
    database.dispose()
    return seconds


def step_import(url: str, path: str) -> dict[str, Any]:
    from sqlalchemy import text

    from app.recommendations.importing import import_file

    database = _database(url)
    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    gc.collect()
    baseline = _max_rss_kib()
    start = time.perf_counter()
    with database.transaction() as db:
        report = import_file(db, None, Path(path), filename=Path(path).name)
        outcome = {
            "import_id": report.id,
            "status": report.status,
            "rows_read": report.rows_read,
            "created": report.created,
            "unchanged": report.unchanged,
            "duplicates": report.duplicates,
            "rejected": len(report.rejected),
        }
    seconds = time.perf_counter() - start
    database.dispose()
    peak = _max_rss_kib()
    return outcome | {"seconds": seconds, "baseline_kib": baseline, "growth_kib": peak - baseline}


def step_parse(path: str) -> dict[str, Any]:
    from app.recommendations.importers import ImportFormat, read_recommendations

    gc.collect()
    baseline = _max_rss_kib()
    start = time.perf_counter()
    rows = sum(1 for _ in read_recommendations(Path(path), ImportFormat.upr_info))
    seconds = time.perf_counter() - start
    peak = _max_rss_kib()
    return {
        "rows_read": rows,
        "seconds": seconds,
        "baseline_kib": baseline,
        "growth_kib": peak - baseline,
    }


def step_floor(url: str, import_id: uuid.UUID) -> dict[str, tuple[int, float]]:
    """Rows and seconds to bulk-load the values the import stored on `recommendations` through
    the driver (COPY on PostgreSQL, one executemany on SQLite; one transaction; only the load and
    its commit timed), into a bare table ("bare": primary key only), then into a copy of
    `recommendations` with its indexes, constraints and full-text index ("shaped")."""
    from app.recommendations.models import Recommendation

    database = _database(url)
    engine = database.engine
    postgres = engine.dialect.name == "postgresql"
    columns = Recommendation.__table__.columns  # type: ignore[attr-defined]
    definitions = ", ".join(
        f"{c.name} {c.type.compile(dialect=engine.dialect)}"
        + ("" if c.nullable else " NOT NULL")
        + (" PRIMARY KEY" if c.primary_key else "")
        for c in columns
    )
    names = ", ".join(c.name for c in columns)
    results: dict[str, tuple[int, float]] = {}
    pooled = engine.raw_connection()
    try:
        connection: Any = pooled.driver_connection
        cursor = connection.cursor()
        marker, key = ("%s", import_id) if postgres else ("?", import_id.hex)
        cursor.execute(
            f"SELECT {names} FROM recommendations WHERE last_import_id = {marker}", (key,)
        )
        values = cursor.fetchall()
        shaped_drops = [FLOOR_SHAPED] if postgres else [FLOOR_SHAPED, f"{FLOOR_SHAPED}_fts"]
        tables = {
            "bare": (FLOOR_BARE, [f"CREATE TABLE {FLOOR_BARE} ({definitions})"], [FLOOR_BARE]),
            "shaped": (FLOOR_SHAPED, _shaped_copy(cursor, postgres), shaped_drops),
        }
        for label, (table, ddl, drops) in tables.items():
            for statement in ddl:
                cursor.execute(statement)
            if postgres:
                connection.commit()
            start = time.perf_counter()
            if postgres:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
                connection.commit()
            else:
                cursor.execute("BEGIN IMMEDIATE")
                placeholders = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)
                cursor.execute("COMMIT")
            results[label] = (len(values), time.perf_counter() - start)
            for dropped in drops:
                cursor.execute(f"DROP TABLE {dropped}")
            if postgres:
                connection.commit()
        cursor.close()
    finally:
        pooled.close()
        database.dispose()
    return results


def _shaped_copy(cursor: Any, postgres: bool) -> list[str]:
    """DDL for a copy of `recommendations` named FLOOR_SHAPED: its columns, constraints but
    foreign keys (PostgreSQL) and indexes, and its full-text index (the generated tsvector and
    GIN index; on SQLite the FTS5 table and its triggers)."""
    if postgres:
        return [f"CREATE TABLE {FLOOR_SHAPED} (LIKE recommendations INCLUDING ALL)"]
    cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND (tbl_name = 'recommendations' OR name = 'recommendations_fts')"
    )
    order = {"table": 0, "index": 1, "trigger": 2}
    return [
        sql.replace("recommendations", FLOOR_SHAPED)
        for _, _, sql in sorted(cursor.fetchall(), key=lambda row: order[row[0]])
    ]


Timings = list[tuple[str, int | None, list[float]]]


def step_search(url: str, analyze: bool) -> tuple[str, Timings]:
    """The planner statistics the database had, and (label, rows found, milliseconds per run):
    the floor first, then the service unfiltered, then each query. A run is one request's
    transaction, as the API opens it for a GET. `analyze` runs ANALYZE first."""
    from sqlalchemy import text

    from app.core.db import write_intent
    from app.core.settings import Settings
    from app.recommendations.service import CatalogueFilter, search

    database = _database(url)
    settings = Settings(database_url=url, jwt_secret=secrets.token_urlsafe(48))
    with database.engine.begin() as connection:
        if database.engine.dialect.name == "postgresql":
            autovacuum = connection.execute(text("SHOW autovacuum")).scalar()
            analysed = connection.execute(
                text(
                    "SELECT greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
                    "WHERE relname = 'recommendations'"
                )
            ).scalar()
            statistics_held = f"autovacuum {autovacuum}, recommendations last analysed {analysed}"
        else:
            stat1 = connection.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).scalar()
            statistics_held = "sqlite_stat1 present" if stat1 else "no sqlite_stat1"
        if analyze:
            connection.execute(text("ANALYZE"))
    write_intent.set(False)  # what the middleware sets for a GET
    statement = (
        f"SELECT {', '.join(_recommendation_columns())} FROM recommendations "
        f"ORDER BY created_at, id LIMIT {PAGE}"
    )

    def floor() -> int:
        pooled = database.engine.raw_connection()
        try:
            connection: Any = pooled.driver_connection
            cursor = connection.cursor()
            cursor.execute(statement)
            found = len(cursor.fetchall())
            cursor.close()
            connection.rollback()
        finally:
            pooled.close()
        return found

    def service(arguments: dict[str, Any], second_page: bool) -> Callable[[], int]:
        where = CatalogueFilter(**arguments)
        cursor = None
        if second_page:
            with database.transaction() as db:
                _, cursor = search(db, where, limit=PAGE, cursor=None, settings=settings)
            assert cursor is not None, f"{arguments}: no second page"

        def run() -> int:
            with database.transaction() as db:
                items, _ = search(db, where, limit=PAGE, cursor=cursor, settings=settings)
            return len(items)

        return run

    results: Timings = [
        ("floor: driver, no filter", *_timed(floor)),
        ("service, no filter", *_timed(service({}, False))),
    ]
    results += [(label, *_timed(service(a, page_two))) for label, a, page_two in QUERIES]
    database.dispose()
    return statistics_held, results


def _timed(run: Callable[[], int]) -> tuple[int, list[float]]:
    found = run()  # warm-up
    samples = []
    for _ in range(SEARCH_RUNS):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return found, samples


# --- printing -----------------------------------------------------------------------------------


def _print_import(label: str, result: dict[str, Any]) -> float:
    rate: float = result["rows_read"] / result["seconds"]
    counts = ""
    if "status" in result:
        counts = (
            f"  [{result['status']}: created {result['created']}, unchanged "
            f"{result['unchanged']}, duplicates {result['duplicates']}, "
            f"rejected {result['rejected']}]"
        )
    print(
        f"  {label:<30}{result['rows_read']:>8} rows {result['seconds']:>8.2f} s "
        f"{rate:>8.0f} rows/s  peak +{result['growth_kib'] / 1024:.0f} MiB "
        f"(over {result['baseline_kib'] / 1024:.0f} MiB){counts}"
    )
    return rate


def _percentiles(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[18]


def _print_search(as_imported: Timings, analysed: Timings) -> None:
    """Both runs side by side, each query's p50 and p95 as a ratio to its run's floor."""
    print(f"  search, limit {PAGE}, {SEARCH_RUNS} runs each after a warm-up (ms):")
    print(f"    {'':<33}{'as imported':^38}{'after ANALYZE':^38}")
    ratios = "p50/floor p95/floor"
    print(f"    {'query':<28}{'rows':>5}     p50     p95 {ratios}     p50     p95 {ratios}")
    rows = [_search_row(results) for results in (as_imported, analysed)]
    for (label, found, before), (_, _, after) in zip(*rows, strict=True):
        shown = "" if found is None else found
        print(f"    {label:<28}{shown:>5}{before}{after}")


def _search_row(results: Timings) -> list[tuple[str, int | None, str]]:
    (_, _, floor), *measured = results
    floor_p50, floor_p95 = _percentiles(floor)
    every = [ms for _, _, samples in measured[1:] for ms in samples]
    row = []
    for label, found, samples in [*results, (f"all {len(QUERIES)} queries", None, every)]:
        p50, p95 = _percentiles(samples)
        figures = f"{p50:>8.2f}{p95:>8.2f}{p50 / floor_p50:>9.1f}x{p95 / floor_p95:>9.1f}x"
        row.append((label, found, figures))
    return row


# --- one database -------------------------------------------------------------------------------


def _load() -> str:
    return "load average " + " ".join(f"{load:.2f}" for load in os.getloadavg())


def bench_database(name: str, url: str, big: Path) -> None:
    print(f"\n== {name} ({_load()})", flush=True)
    print(f"  migrate: {in_child(step_migrate, url):.2f} s", flush=True)
    _print_import("import sample (UPR Info 1-5)", in_child(step_import, url, str(SAMPLE)))
    result = in_child(step_import, url, str(big))
    rate = _print_import(f"import {big.name}", result)
    if result["seconds"] > SLOW_IMPORT_SECONDS:
        print(
            f"  (slow: this import alone took {result['seconds'] / 60:.1f} min; "
            "--rows 20000 gives the same ratios in about a minute for the whole run)"
        )
    if result["status"] != "succeeded":
        print("  the import failed; no floor or search figures")
        return
    floors = in_child(step_floor, url, result["import_id"])
    how = "COPY FROM STDIN" if name == "PostgreSQL" else "executemany"
    for label, detail in (
        ("bare", "bare table: primary key only"),
        ("shaped", "copy of recommendations: its indexes, constraints and full-text index"),
    ):
        rows, seconds = floors[label]
        print(
            f"  {f'floor {label}: {how}':<30}{rows:>8} rows {seconds:>8.2f} s "
            f"{rows / seconds:>8.0f} rows/s  (same values, one transaction; {detail})"
        )
    for label in ("bare", "shaped"):
        rows, seconds = floors[label]
        print(
            f"  import rows/s / floor {label} rows/s: {rate / (rows / seconds):.3f} "
            f"(the import is {rows / seconds / rate:.1f}x slower)"
        )
    sys.stdout.flush()
    statistics_held, as_imported = in_child(step_search, url, False)
    print(f"  planner statistics after the imports: {statistics_held}")
    _print_search(as_imported, in_child(step_search, url, True)[1])
    print(f"  ({_load()})")


@contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str | None]:
    """A new database on `admin_url`'s server, dropped afterwards; None if it is unreachable."""
    name = f"item10_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"\n== PostgreSQL: skipped, {admin_url} is unreachable ({error})")
        yield None
        return
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {multiprocessing.cpu_count()} CPUs, {_load()}")
    with tempfile.TemporaryDirectory(prefix="item10-bench-") as workdir:
        big = Path(workdir) / f"upr-info-{args.rows}.csv"
        start = time.perf_counter()
        write_upr_info_file(big, args.rows)
        size = big.stat().st_size / 2**20
        print(f"generated {big.name}: {size:.1f} MiB in {time.perf_counter() - start:.1f} s")
        _print_import("parse only (no database)", in_child(step_parse, str(big)))
        bench_database("SQLite", f"sqlite:///{workdir}/bench.db", big)
        if args.skip_postgres:
            print("\n== PostgreSQL: skipped (--skip-postgres)")
        else:
            with throwaway_postgres(args.postgres) as url:
                if url is not None:
                    bench_database("PostgreSQL", url, big)
    print(
        f"\ntotal {time.perf_counter() - began:.0f} s. Parent peak RSS "
        f"{_max_rss_kib() / 1024:.0f} MiB: each child's peak growth is its own while this stays "
        "below the child's baseline."
    )


if __name__ == "__main__":
    main()
