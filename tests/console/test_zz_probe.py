from tests.console.support import *
from tests.assistance.helpers import make_request
from app.assistance.models import RequestStage

def test_probe(client, db, app):
    user, token = signed_in(client, db)
    print("COOKIES", [(c.name, c.domain, c.path) for c in client.cookies.jar])
    r = make_request(db, stage=RequestStage.submitted, state="SEN")
    page = client.get(f"/console/requests/{r.id}")
    print(page.status_code, page.headers)
    open("/tmp/probe/req.html","w").write(page.text)
    q = client.get("/console/queue")
    open("/tmp/probe/queue.html","w").write(q.text)
    print(table_rows(q.text, "queue"))
    print([ (f.action, f.fields, f.buttons, f.textareas) for f in forms(page.text)])
    print(console_routes(app))
    c = session_cookie(client)
    forget_cookies(client)
    assert is_sign_in_redirect(client.get(QUEUE, follow_redirects=False))
    put_session_cookie(client, c)
    print(client.get(QUEUE, follow_redirects=False).status_code)
