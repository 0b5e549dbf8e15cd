"""Database plumbing: the declarative base, shared column types, engine and sessions.

Timestamps are timezone-aware UTC on every backend (SQLite stores naive text, so the
``UTCDateTime`` type re-attaches UTC on the way out). The naming convention gives every
constraint a stable name, which Alembic needs (SQLite migrations run in batch mode).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Annotated, Any, TypeVar, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Label,
    MetaData,
    Row,
    Select,
    String,
    Table,
    create_engine,
    event,
    exc,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import (
    DeclarativeBase,
    Session,
    attributes,
    make_transient_to_detached,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Tables a revision stopped using but left in place, so hosts still running the code before
# it keep working during a rolling upgrade (docs/deployment.md, "Upgrades"); a later revision
# drops them. Autogenerate and the schema test leave them out.
RETIRED_TABLES = frozenset({"login_states"})  # revision 0011: login states are signed now


def include_in_schema(_object: Any, name: str | None, type_: str, *_rest: Any) -> bool:
    """Alembic's ``include_object``: everything but the retired tables."""
    return not (type_ == "table" and name in RETIRED_TABLES)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


_Row = TypeVar("_Row", bound=Base)

# Shared column shapes, so the same idea has the same type everywhere.
intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
url = Annotated[str, mapped_column(String(2048))]
str255 = Annotated[str, mapped_column(String(255))]


def make_engine(database_url: str, pool_size: int = 5) -> Engine:
    """An engine whose pool holds ``pool_size`` connections (one per request thread and
    background worker: see ``Settings.pool_size``); a short burst may borrow 10 more."""
    pooling = {"pool_size": pool_size, "max_overflow": 10, "pool_timeout": 30}
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **pooling,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the web threads read while the grade dispatcher writes;
            # foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the database; it only skips the fsync per
            # commit (a power cut may lose the last commits, not a process crash).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    engine = create_engine(database_url, **pooling)
    ping_when_idle(engine)
    return engine


# A pooled connection is pinged before use only if it sat in the pool this long: one handed
# back a moment ago is as surely alive as a ping would show (SQLAlchemy's pool_pre_ping
# pings on every checkout: a round trip per request, two for a launch). After a database
# restart, or an idle connection dropped by a firewall, the first checkout still finds it
# dead and the pool replaces it before a request sees it.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")  # none yet: connected just now
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as lost:
            # The pool discards this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError("the pooled connection was lost while idle") from lost


def insert_for(session: Session) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing`` on PostgreSQL and SQLite)."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def find_or_create(
    session: Session,
    model: type[_Row],
    defaults: dict[str, Any] | None = None,
    **natural_key: Any,
) -> _Row:
    """The row of ``model`` with this natural key (a unique constraint), created if absent
    with ``defaults`` for its other columns.

    Two first launches into one course at once must not both insert: the second would break
    the unique constraint and the learner would get an error page. ``INSERT ... ON CONFLICT
    DO NOTHING`` (PostgreSQL and SQLite alike) waits for the other insert and then adds
    nothing; the select after it sees whichever row won.
    """
    query = select(model).filter_by(**natural_key)
    found = session.scalar(query)
    if found is None:
        _insert_if_absent(session, table_of(model), {**natural_key, **(defaults or {})})
        found = session.scalar(query)
        assert found is not None, f"{model.__name__} {natural_key} vanished after its insert"
    return found


def find_or_insert_row(
    session: Session,
    table: Table,
    find: Select[Any],
    natural_key: dict[str, Any],
    defaults: dict[str, Any],
    *,
    just_missed: bool = False,
) -> Row[Any]:
    """:func:`find_or_create` as plain statements, for hot paths: ``find`` (built once,
    with a bind parameter per key column) returns the row, inserted with ``defaults`` when
    absent. ``just_missed``: the caller read it as absent a moment ago, so it is inserted
    first, in one statement that returns ``find``'s columns (the find runs only when
    another request inserted it meanwhile)."""
    connection = session.connection()
    if just_missed:
        statement = insert_if_absent(session, table, *find.selected_columns)
        inserted = connection.execute(statement, {**natural_key, **defaults}).first()
        if inserted is not None:
            return inserted
    found = connection.execute(find, natural_key).first()
    if found is None:
        _insert_if_absent(session, table, {**natural_key, **defaults})
        found = connection.execute(find, natural_key).first()
    assert found is not None, f"{table.name} {natural_key} vanished after its insert"
    return found


def insert_or_find(
    session: Session,
    model: type[_Row],
    defaults: dict[str, Any],
    **natural_key: Any,
) -> tuple[_Row, bool]:
    """:func:`find_or_create` for a row just read as absent: inserted in one statement
    (``INSERT … ON CONFLICT DO NOTHING RETURNING``); when another request inserted it
    first, its row is read. True when this call inserted it."""
    table = table_of(model)
    statement = insert_if_absent(session, table, *table.columns)
    inserted = session.connection().execute(statement, {**natural_key, **defaults}).first()
    if inserted is not None:
        # A plain statement and the row handed to the session as loaded: the ORM's own
        # INSERT … RETURNING of an entity cost three times as much on a first launch.
        values = dict(zip(_attribute_names(model), inserted, strict=True))
        return as_loaded(session, model, values), True
    return find_or_create(session, model, defaults, **natural_key), False


def insert_if_absent(session: Session, table: Table, *returning: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING [RETURNING …]`` into ``table``, for the values
    given when it is executed (each set of keys compiles once)."""
    return _insert_statement(insert_for(session), table, returning)


@cache
def _insert_statement(dialect_insert: Any, table: Table, returning: tuple[Any, ...]) -> Any:
    # Built once per dialect, table and RETURNING: building it cost more than running it.
    statement = dialect_insert(table).on_conflict_do_nothing()
    return statement.returning(*returning) if returning else statement


def _insert_if_absent(session: Session, table: Table, values: dict[str, Any]) -> None:
    session.connection().execute(insert_if_absent(session, table), values)


def table_of(model: type[Any]) -> Table:
    """The model's table (typed as one: ``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


@cache
def _attribute_names(model: type[Any]) -> tuple[str, ...]:
    """The model's attribute names, in its table's column order."""
    mapper = sa_inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in table_of(model).columns)


def labelled(model: type[Base], prefix: str, leave_out: tuple[str, ...] = ()) -> list[Label[Any]]:
    """The model's columns labelled ``prefix`` + attribute name, to read several models in
    one joined row (``prefix`` ends in ``__``; columns named in ``leave_out`` are left out)."""
    columns = zip(table_of(model).columns, _attribute_names(model), strict=True)
    return [column.label(prefix + name) for column, name in columns if column.name not in leave_out]


def keys_of(columns: list[Label[Any]]) -> list[tuple[str, str]]:
    """Each labelled column's (label, attribute name), worked out once."""
    return [(column.name, column.name.partition("__")[2]) for column in columns]


def values_of(row: Mapping[Any, Any], keys: list[tuple[str, str]]) -> dict[str, Any]:
    """One model's part of a joined row, by attribute name (``keys``: from ``keys_of``), as
    ``as_loaded`` takes it."""
    return {attribute: row[label] for label, attribute in keys}


def as_loaded(session: Session, model: type[_Row], values: dict[str, Any]) -> _Row:
    """The row of ``model`` with these column values (its primary key among them), put into
    ``session`` as if just read from the database (no SQL): for rows a request wrote itself
    and reads next. Columns not given are read on first use, as after an expiry. A row the
    session holds already is returned as it is."""
    mapper, key_names = _identity_of(model)
    key = mapper.identity_key_from_primary_key(tuple(values[name] for name in key_names))
    held = session.identity_map.get(key)
    if held is not None:
        return cast(_Row, held)
    row = mapper.class_manager.new_instance()
    # Into the instance's dict as a query's loader does (no change events), then marked
    # loaded: a plain constructor and ``merge`` cost four times as much on the launch path.
    row.__dict__.update(values)
    make_transient_to_detached(row)
    # Attached as the loader attaches what it reads. ``Session.add`` would also walk every
    # relationship's save-update cascade, for nothing (none is loaded): it was 40% of this.
    session._update_impl(attributes.instance_state(row))
    return cast(_Row, row)


@cache
def _identity_of(model: type[Any]) -> tuple[Any, tuple[str, ...]]:
    """The model's mapper and the attribute names of its primary key, looked up once."""
    mapper = sa_inspect(model)
    return mapper, tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def open_database(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory for one command-line run; its connections close at the end."""
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
