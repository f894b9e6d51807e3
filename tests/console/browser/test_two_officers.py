"""Two officers on one request at once, each in a browser of their own."""

from tests.console.browser.support import (
    QUEUE,
    SignedIn,
    history_moves,
    queue_rows,
    stage_shown,
)


def test_the_officer_on_a_stale_page_is_told_someone_else_moved_the_request_first(
    officer: SignedIn, admin: SignedIn
) -> None:
    officer.visit(f"{QUEUE}?stage=submitted", "officer-queue")
    rows = queue_rows(officer.page)
    assert rows, "the demo data has submitted requests"
    href = rows[0].href
    officer.visit(href, "officer-request")
    admin.visit(href, "admin-request")
    assert stage_shown(officer.page) == stage_shown(admin.page) == "submitted"

    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Start triage").click()
    admin.shots.take(admin.page, "admin-started-triage")
    assert stage_shown(admin.page) == "in triage"

    with officer.page.expect_navigation() as shown:
        officer.page.get_by_role("button", name="Start triage").click()
    officer.shots.take(officer.page, "officer-refused")
    assert shown.value.status == 200
    assert officer.page.url.endswith(f"{href}?notice=moved")
    alert = officer.page.get_by_role("alert")
    assert "Someone else changed this request before you." in alert.inner_text()
    assert "it is in triage" in alert.inner_text()
    assert stage_shown(officer.page) == "in triage"
    assert history_moves(officer.page).count("Start triage") == 1
