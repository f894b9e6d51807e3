"""What the console tests share: signing in through the real form, reading the pages' HTML with
the standard library, and pictures of what the database holds."""

import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx
import sqlalchemy
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, select

from app.auth.models import User
from app.console.models import ConsoleSession
from app.console.sessions import SESSION_COOKIE, SIGN_IN_COOKIE
from app.core.principal import Role
from tests.factories import make_user

CONSOLE = "/console"
SIGN_IN = f"{CONSOLE}/sign-in"
QUEUE = f"{CONSOLE}/queue"
ORIGIN = "http://testserver"  # the TestClient's own site
PASSWORD = "a console password for tests"
REFUSED_FORM = "This form was refused"
REFUSED_ACCOUNT = "This console is for OHCHR officers"


# --- reading pages ------------------------------------------------------------------------


@dataclass
class Item:
    """A list item: its classes and its words."""

    classes: list[str]
    text: str = ""


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    textareas: list[str] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)


@dataclass
class Table:
    classes: list[str]
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)


class _Reader(HTMLParser):
    """Forms (hidden and named inputs, textareas, button words), tables (body rows as cell
    texts), links, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.tables: list[Table] = []
        self.links: list[dict[str, str]] = []
        self.items: list[Item] = []
        self._item: list[str] | None = None
        self._caption: list[str] | None = None
        self.html_lang: str | None = None
        self.text: list[str] = []
        self._form: Form | None = None
        self._button: list[str] | None = None
        self._table: Table | None = None
        self._in_body = False
        self._row: list[str] | None = None
        self._row_links: list[str] | None = None
        self._cell: list[str] | None = None
        self._link: dict[str, str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag in ("script", "style", "title"):
            self._skip += 1
        elif tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._form.textareas.append(a["name"])
        elif tag == "button":
            self._button = []
        elif tag == "table":
            self._table = Table(classes=a.get("class", "").split())
            self.tables.append(self._table)
        elif tag == "caption":
            self._caption = []
        elif tag == "li":
            self.items.append(Item(classes=a.get("class", "").split()))
            self._item = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row, self._row_links = [], []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a":
            self._link = {"href": a.get("href", ""), "rel": a.get("rel", ""), "text": ""}
            self.links.append(self._link)
            if self._row_links is not None:
                self._row_links.append(a.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1
        elif tag == "form":
            self._form = None
        elif tag == "button" and self._button is not None:
            if self._form is not None:
                self._form.buttons.append(_words(self._button))
            self._button = None
        elif tag == "caption" and self._caption is not None and self._table is not None:
            self._table.caption = _words(self._caption)
            self._caption = None
        elif tag == "li" and self._item is not None:
            self.items[-1].text = _words(self._item)
            self._item = None
        elif tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(_words(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table.rows.append(self._row)
            self._table.links.append(self._row_links or [])
            self._row, self._row_links = None, None
        elif tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        for sink in (self._button, self._cell, self._caption, self._item):
            if sink is not None:
                sink.append(data)
        if self._link is not None:
            self._link["text"] = _words([self._link["text"], data])


def _words(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def text_of(html: str) -> str:
    """The page's words, whitespace collapsed, as a reader sees them."""
    return _words(read(html).text)


def forms(html: str) -> list[Form]:
    return read(html).forms


def form_to(html: str, action_end: str) -> Form:
    """The one form whose action ends with `action_end`."""
    (found,) = [f for f in forms(html) if f.action.endswith(action_end)]
    return found


def form_token(html: str) -> str:
    """The CSRF token the page's forms carry (every form of a page carries the same one)."""
    tokens = {f.fields["csrf_token"] for f in forms(html) if "csrf_token" in f.fields}
    assert len(tokens) == 1, tokens
    return tokens.pop()


def table_captioned(html: str, caption_start: str) -> Table:
    (table,) = [t for t in read(html).tables if t.caption.startswith(caption_start)]
    return table


def table_rows(html: str, table_class: str) -> list[list[str]]:
    (table,) = [t for t in read(html).tables if table_class in t.classes]
    return table.rows


def row_links(html: str, table_class: str) -> list[list[str]]:
    (table,) = [t for t in read(html).tables if table_class in t.classes]
    return table.links


def link_with_rel(html: str, rel: str) -> str | None:
    found = [link["href"] for link in read(html).links if link["rel"] == rel]
    return found[0] if found else None


def is_sign_in_redirect(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"] == SIGN_IN


# --- signing in ---------------------------------------------------------------------------


def make_person(
    db: Session, *, role: Role = Role.ohchr_officer, state: str = "WSM", active: bool = True
) -> User:
    """An account whose password is `PASSWORD`, hashed as the test run hashes."""
    return make_user(db, role=role, state=state, password=PASSWORD, active=active)


def post_sign_in(client: TestClient, email: str, password: str, **headers: str) -> httpx.Response:
    """The sign-in form, read and sent back as a browser sends it; no redirect followed."""
    page = client.get(SIGN_IN)
    assert page.status_code == 200, page.text
    form = form_to(page.text, SIGN_IN)
    data = {**form.fields, "email": email, "password": password}
    response: httpx.Response = client.post(
        SIGN_IN, data=data, headers=headers, follow_redirects=False
    )
    return response


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the real form; the session's CSRF token, read from the queue's page."""
    response = post_sign_in(client, email, password)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == QUEUE
    queue = client.get(QUEUE)
    assert queue.status_code == 200, queue.text
    return form_token(queue.text)


def signed_in(
    client: TestClient, db: Session, *, role: Role = Role.ohchr_officer
) -> tuple[User, str]:
    """A new officer (or administrator) at the console, and the session's CSRF token."""
    user = make_person(db, role=role)
    return user, sign_in(client, user.email)


def session_cookie(client: TestClient) -> str | None:
    value: str | None = client.cookies.get(SESSION_COOKIE)
    return value


def put_session_cookie(client: TestClient, value: str) -> None:
    client.cookies.set(SESSION_COOKIE, value, domain="testserver.local", path=CONSOLE)


def forget_cookies(client: TestClient) -> None:
    for name in (SESSION_COOKIE, SIGN_IN_COOKIE):
        client.cookies.delete(name)


def sessions_of(db: Session, user: User) -> list[ConsoleSession]:
    db.expire_all()
    return list(db.exec(select(ConsoleSession).where(ConsoleSession.user_id == user.id)).all())


# --- the console's routes -----------------------------------------------------------------


def console_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every console route, as the app has them now."""
    return sorted(
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith(CONSOLE)
        for method in route.methods
    )


def concrete(path: str, **values: str) -> str:
    """The path with each parameter filled: from `values` when named there, else a made-up
    UUID (which no console route's parameter refuses before the session is checked)."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)


# --- what is stored -----------------------------------------------------------------------


def row_counts(db: Session) -> dict[str, int]:
    """How many rows every table holds: a form refused leaves every count as it was."""
    db.expire_all()
    connection = db.connection()
    return {
        name: connection.execute(
            sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
        ).scalar_one()
        for name, table in sorted(SQLModel.metadata.tables.items())
    }
