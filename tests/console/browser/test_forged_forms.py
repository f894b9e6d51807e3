"""Forms the officer did not send from the console's own page change nothing: a post without
the session's CSRF token, one sent with the token but from another origin, and a form on
someone else's page that the officer is tricked into clicking while signed in.

Each post is a message on a request's thread, with words of its own, so that "nothing changed"
is read off the thread."""

import uuid

from tests.console.browser.support import (
    QUEUE,
    SIGN_IN,
    OtherSite,
    SignedIn,
    message_form_token,
    queue_rows,
    thread_text,
    visit,
)

REFUSED = "This form was refused"


def _open_request(officer: SignedIn) -> str:
    """The request at the top of the queue, open on the officer's page; its path."""
    officer.visit(QUEUE, "queue")
    href = queue_rows(officer.page)[0].href
    officer.visit(href, "request")
    return href


def _words() -> str:
    return f"Message {uuid.uuid4().hex}"


def _thread_after(officer: SignedIn, href: str) -> str:
    officer.visit(href, "request-after")
    return thread_text(officer.page)


def test_the_message_form_posted_with_its_token_is_taken(officer: SignedIn) -> None:
    href = _open_request(officer)
    words = _words()
    answer = officer.context.request.post(
        f"{href}/messages",
        form={"csrf_token": message_form_token(officer.page), "body": words},
        max_redirects=0,
    )
    assert answer.status == 303
    assert answer.headers["location"].endswith(f"{href}?notice=done-message")
    assert words in _thread_after(officer, href)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(officer: SignedIn) -> None:
    href = _open_request(officer)
    words = _words()
    answer = officer.context.request.post(f"{href}/messages", form={"body": words}, max_redirects=0)
    assert answer.status == 403
    assert REFUSED in answer.text()
    assert words not in _thread_after(officer, href)


def test_a_post_with_the_token_from_another_origin_is_refused_and_changes_nothing(
    officer: SignedIn,
) -> None:
    href = _open_request(officer)
    words = _words()
    answer = officer.context.request.post(
        f"{href}/messages",
        form={"csrf_token": message_form_token(officer.page), "body": words},
        headers={"Origin": "http://evil.example"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert REFUSED in answer.text()
    assert words not in _thread_after(officer, href)


def _trap(console_url: str, href: str, token: str, words: str) -> str:
    """Someone else's page with a form aimed at the console: even the session's token (say it
    leaked) in it."""
    return f"""<!doctype html><html lang="en"><title>You have won</title>
<form method="post" action="{console_url}{href}/messages">
<input type="hidden" name="csrf_token" value="{token}">
<input type="hidden" name="body" value="{words}">
<button type="submit">Claim your prize</button>
</form></html>"""


def test_a_form_on_another_origin_of_the_same_host_is_refused_and_changes_nothing(
    officer: SignedIn, other_site: OtherSite
) -> None:
    """Another port of 127.0.0.1 is another origin but the same site: the browser sends the
    SameSite=Strict cookie, so only the console's own check of where the form came from
    stands in the way."""
    href = _open_request(officer)
    console_url = officer.page.url.split("/console/")[0]
    words = _words()
    other_site.html = _trap(console_url, href, message_form_token(officer.page), words)
    trap = officer.context.new_page()
    visit(trap, officer.shots, other_site.url("127.0.0.1"), "other-origin")
    with trap.expect_navigation() as shown:
        trap.get_by_role("button", name="Claim your prize").click()
    officer.shots.take(trap, "refused")
    assert shown.value.status == 403
    assert trap.get_by_role("heading", level=1).inner_text() == REFUSED
    assert words not in _thread_after(officer, href)


def test_a_form_on_another_site_reaches_the_console_without_the_session(
    officer: SignedIn, other_site: OtherSite
) -> None:
    """localhost is another site than 127.0.0.1: the SameSite=Strict cookie stays behind, so
    the post finds nobody signed in."""
    href = _open_request(officer)
    console_url = officer.page.url.split("/console/")[0]
    words = _words()
    other_site.html = _trap(console_url, href, message_form_token(officer.page), words)
    trap = officer.context.new_page()
    visit(trap, officer.shots, other_site.url("localhost"), "other-site")
    with trap.expect_navigation() as shown:
        trap.get_by_role("button", name="Claim your prize").click()
    officer.shots.take(trap, "sign-in")
    assert trap.url.endswith(SIGN_IN)
    posted = shown.value.request.redirected_from
    assert posted is not None and posted.method == "POST"
    redirect = posted.response()
    assert redirect is not None and redirect.status == 303
    assert words not in _thread_after(officer, href)
