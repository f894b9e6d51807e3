"""Command line for administrators: `python -m app --help`."""

import argparse
import getpass
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from pydantic import ValidationError

from app.core.db import Database
from app.core.errors import Problem
from app.core.principal import Role
from app.core.settings import get_settings
from app.recommendations.schemas import ImportReport


def _database() -> Database:
    return Database.from_url(get_settings().database_url)


def cmd_migrate(_args: argparse.Namespace) -> int:
    from app.migrate import migrate

    changed = migrate(_database())
    print(f"database at the current schema; {changed} reference rows added or refreshed")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.auth.schemas import UserCreate
    from app.auth.service import create_user

    password = args.password or getpass.getpass("Password (12 characters or more): ")
    try:
        body = UserCreate(
            email=args.email,
            name=args.name or args.email.split("@")[0],
            role=args.role,
            state_code=args.state,
            password=password,
        )
        with _database().transaction() as db:
            user = create_user(db, None, body)
    except ValidationError as exc:
        print(f"error: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except Problem as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.email} ({user.id})")
    return 0


def cmd_seed_demo(_args: argparse.Namespace) -> int:
    from app.demo import seed_demo
    from app.main import connect_domains

    settings = get_settings()
    if settings.is_production:
        print(
            "error: seed-demo creates accounts with known passwords; refused in production",
            file=sys.stderr,
        )
        return 1
    connect_domains()  # the demo's history completes requests, which frees their providers
    with _database().transaction() as db:
        accounts = seed_demo(db)
    print("Demo accounts (local use only):")
    for email, password, role, state in accounts:
        print(f"  {email:34} {password:22} {role:18} {state or ''}")
    return 0


class ImportProgress:
    """An import's progress on a stream (standard error): on a terminal one line redrawn in
    place, a bar with the rows read, rows per second and the time taken; otherwise a plain
    line every PLAIN_EVERY seconds. The number of rows is not known before the end (files are
    streamed), so the bar sweeps rather than fills."""

    BAR = 24
    TERMINAL_EVERY = 0.1
    PLAIN_EVERY = 5.0

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.clock = stream, clock
        self.terminal = stream.isatty()
        self.started = self.drawn = clock()

    def __call__(self, rows: int) -> None:
        now = self.clock()
        if now - self.drawn >= (self.TERMINAL_EVERY if self.terminal else self.PLAIN_EVERY):
            self.drawn = now
            self._show(rows, now, done=False)

    def finish(self, rows: int) -> None:
        self._show(rows, self.clock(), done=True)

    def abandon(self) -> None:
        """Leave the bar's line, so that what is printed next starts a line of its own."""
        if self.terminal and self.drawn > self.started:
            self.stream.write("\n")

    def _show(self, rows: int, now: float, *, done: bool) -> None:
        elapsed = now - self.started
        rate = rows / elapsed if elapsed > 0 else 0.0
        figures = f"{rows:,} rows  {rate:,.0f} rows/s  {_minutes(elapsed)}"
        if self.terminal:
            end = "\n" if done else ""
            self.stream.write(f"\r{self._bar(elapsed, done)} {figures:<40}{end}")
        else:
            state = "done" if done else "importing"
            self.stream.write(f"import {state}: {figures}\n")
        self.stream.flush()

    def _bar(self, elapsed: float, done: bool) -> str:
        if done:
            return "[" + "=" * self.BAR + "]"
        block, span = 6, self.BAR - 6
        step = int(elapsed / self.TERMINAL_EVERY) % (2 * span)
        start = step if step <= span else 2 * span - step
        return "[" + " " * start + "=" * block + " " * (span - start) + "]"


def _minutes(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def cmd_import_recommendations(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy.exc import DBAPIError

    from app.recommendations.importing import import_file

    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file {path}", file=sys.stderr)
        return 2
    progress = ImportProgress(sys.stderr)
    try:
        with _database().transaction() as db:
            report = import_file(
                db,
                None,
                path,
                requested_format=args.format,
                filename=path.name,
                state=args.state,
                dry_run=args.dry_run,
                progress=progress,
            )
            shown = ImportReport.model_validate(report)
    except Problem as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        progress.abandon()
        print(f"error: the database failed ({exc.orig}); nothing was imported", file=sys.stderr)
        return 1
    progress.finish(shown.rows_read)
    _print_report(shown)
    return 0 if shown.status == "succeeded" else 1


def cmd_worker(args: argparse.Namespace) -> int:
    import gc
    import signal
    import threading

    # Asked to stop while still starting, the worker starts, claims nothing and exits.
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        # Finish (or release) the jobs in hand, claim no more, then exit.
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    from app.core.logging import configure_logging
    from app.worker import build_worker

    settings = get_settings()
    if args.concurrency:
        settings = settings.model_copy(update={"worker_concurrency": args.concurrency})
    configure_logging(settings.log_level)
    worker = build_worker(settings, Database.from_url(settings.database_url))
    worker.stop = stopping
    print(
        f"worker {worker.name}: {settings.worker_concurrency} thread(s), "
        f"jobs: {', '.join(sorted(worker.kinds)) or 'none'}",
        file=sys.stderr,
        flush=True,
    )
    # What start-up made lives as long as the process: kept out of the collector's way, so that
    # a full collection does not walk it again while a job waits (80-120 ms of CPU, measured by
    # bench/matching_run.py on a matching run).
    gc.freeze()
    worker.serve()
    worker.database.dispose()
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    import json

    from app.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(document, encoding="utf-8")
        print(f"wrote the OpenAPI document to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(document)
    return 0


def _print_report(report: ImportReport) -> None:
    mode = " (dry run: nothing written)" if report.dry_run else ""
    print(f"import {report.id}: {report.status}{mode}")
    print(f"  format {report.format}, rows read {report.rows_read}")
    print(
        f"  created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"duplicates {report.duplicates}, rejected {len(report.rejected)}"
    )
    for rejection in report.rejected[:50]:
        print(f"  row {rejection.row}: {rejection.reason}")
    if len(report.rejected) > 50:
        print(f"  ... and {len(report.rejected) - 50} more rejected rows")
    if report.error:
        print(f"  error: {report.error}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema and reference data")
    user = commands.add_parser("create-user", help="create an account (e.g. the first admin)")
    user.add_argument("--email", required=True)
    user.add_argument("--password", help="prompted for when omitted")
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--state", help="ISO alpha-3 code, for State roles")
    user.add_argument("--name")
    commands.add_parser("seed-demo", help="demo States' accounts and data (not in production)")
    imports = commands.add_parser("import-recommendations", help="import a recommendation file")
    imports.add_argument("file")
    imports.add_argument(
        "--format", default="auto", choices=["auto", "uhri", "ohchr_matrix", "upr_info"]
    )
    imports.add_argument(
        "--state", help="ISO alpha-3 of the State under review, if the file does not say"
    )
    imports.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    work = commands.add_parser(
        "worker", help="run background jobs (imports, matching, webhooks, reminders)"
    )
    work.add_argument(
        "--concurrency", type=int, help="jobs run at once (WORKER_CONCURRENCY, default 2)"
    )
    document = commands.add_parser("openapi", help="write the OpenAPI document")
    document.add_argument("--output", help="a file to write; standard output when omitted")
    return parser


HANDLERS = {
    "migrate": cmd_migrate,
    "create-user": cmd_create_user,
    "seed-demo": cmd_seed_demo,
    "import-recommendations": cmd_import_recommendations,
    "worker": cmd_worker,
    "openapi": cmd_openapi,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return HANDLERS[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
