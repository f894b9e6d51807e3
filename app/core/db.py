"""Engine, sessions and the per-request transaction."""

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

# Whether the current unit of work will write. On SQLite a writing transaction takes the write
# lock up front (BEGIN IMMEDIATE), so two writers queue on busy_timeout instead of one failing
# when it upgrades its read snapshot. Reads stay concurrent under WAL.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)

SQLITE_BUSY_TIMEOUT_MS = 10_000
AUTOCOMMIT = "autocommit"  # in `Session.info`: each statement commits on its own
# Bounds on waiting, so that an unreachable or saturated PostgreSQL is a prompt 503, not a hang.
POSTGRES_CONNECT_TIMEOUT_S = 5
POSTGRES_POOL_TIMEOUT_S = 10
# One connection per thread serving requests (anyio's 40 per process), kept once opened, and no
# overflow: under bench/load.py's 64 clients a pool of 20 with 20 overflow opened and closed
# 655 connections a minute, each a new PostgreSQL backend, a fifth of the CPU per request.
POSTGRES_POOL_SIZE = 40


def normalise_url(raw: str) -> URL:
    """Accept the URLs users write (`postgresql://`, `postgres://`) and pick our drivers."""
    url = make_url(raw.replace("postgres://", "postgresql://", 1))
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    raise ValueError(f"unsupported DATABASE_URL backend {url.get_backend_name()!r}")


def make_engine(raw_url: str, **options: Any) -> Engine:
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **options)
    # No ping on every checkout: a connection the server dropped fails its first statement,
    # which is answered 503, and SQLAlchemy then recycles every connection older than the failure.
    return create_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=0,
        pool_timeout=POSTGRES_POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
            # A server that vanishes without closing its connections is noticed in about a
            # minute rather than when the operating system gives up (hours).
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
        **options,
    )


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    busy_timeout_ms = _sqlite_busy_timeout_ms(url)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        **options,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")

    return engine


def _sqlite_busy_timeout_ms(url: URL) -> int:
    """How long a writer waits for the lock: the URL's `?timeout=SECONDS` (the sqlite3 driver's
    own parameter), else 10 s. Past it the request is answered 503."""
    raw = url.query.get("timeout")
    if raw is None:
        return SQLITE_BUSY_TIMEOUT_MS
    seconds = float(raw if isinstance(raw, str) else raw[-1])
    return max(0, round(seconds * 1000))


class Database:
    """One engine and its sessions; the app keeps one on `app.state.database`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)
        self._read_sessions = self._sessions
        if engine.dialect.name == "postgresql":
            # At READ COMMITTED every statement reads its own snapshot, in a transaction or not:
            # a request that only reads runs without one and saves BEGIN's and COMMIT's round
            # trips. SQLite keeps its deferred BEGIN (see write_intent).
            self._read_sessions = sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"),
                class_=Session,
                expire_on_commit=False,
                info={AUTOCOMMIT: True},
            )

    @classmethod
    def from_url(cls, raw_url: str) -> "Database":
        return cls(make_engine(raw_url))

    def session(self) -> Session:
        return self._sessions()

    def request_session(self) -> Session:
        """The session of a request: without a transaction on PostgreSQL when the request only
        reads (`write_intent`), else `session()`. Nothing is asked of the database until its
        first statement."""
        return self.session() if write_intent.get() else self.read_session()

    def read_session(self) -> Session:
        return self._read_sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit when the block ends normally, roll back on any exception."""
        with self.session() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read outside any request (a worker's look before it writes): on SQLite it takes no
        write lock, so an idle worker never holds up the writers. Nothing it does is kept."""
        token = write_intent.set(False)
        try:
            with self.session() as session:
                try:
                    yield session
                finally:
                    session.rollback()
        finally:
            write_intent.reset(token)

    def dispose(self) -> None:
        self.engine.dispose()


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remembered(
    db: Session,
    namespace: Hashable,
    keys: Iterable[K],
    load: Callable[[list[K]], Mapping[K, V]],
    missing: V,
) -> dict[K, V]:
    """What `load` says of each key, read once per session (one request) in one call for all
    the keys not read yet: a view built before and after a change and again for the answer
    reads its links once. Whoever changes what a key names calls `remember` or `forget`."""
    memo = _memo(db)
    wanted = list(dict.fromkeys(keys))
    unread = [key for key in wanted if (namespace, key) not in memo]
    if unread:
        found = load(unread)
        for key in unread:
            memo[(namespace, key)] = found.get(key, missing)
    return {key: memo[(namespace, key)] for key in wanted}


def remember(db: Session, namespace: Hashable, key: Hashable, value: object) -> None:
    _memo(db)[(namespace, key)] = value


def forget(db: Session, namespace: Hashable, key: Hashable) -> None:
    _memo(db).pop((namespace, key), None)


def _memo(db: Session) -> dict[Hashable, Any]:
    memo: dict[Hashable, Any] = db.info.setdefault("remembered", {})
    return memo
