"""A State's focal point has an account on the platform, but not at the officer console."""

from app.console.sessions import SESSION_COOKIE
from tests.console.browser.support import (
    FOCAL_POINT,
    QUEUE,
    SIGN_IN,
    NewContext,
    Screenshots,
    sign_in,
    visit,
)


def test_a_state_focal_point_is_refused_and_gets_no_session(
    new_context: NewContext, shots: Screenshots
) -> None:
    page = new_context().new_page()
    answer = sign_in(page, FOCAL_POINT, shots)
    shots.take(page, "refused")
    assert answer.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == (
        "This console is for OHCHR officers"
    )
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

    shown = visit(page, shots, QUEUE, "queue-redirected")
    assert page.url.endswith(SIGN_IN)
    first = shown.request.redirected_from
    assert first is not None and first.url.endswith(QUEUE)
    redirect = first.response()
    assert redirect is not None and redirect.status == 303
