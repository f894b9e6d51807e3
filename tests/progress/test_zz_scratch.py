import uuid
from app.auth.models import Role
from tests.factories import auth, make_recommendation, make_user

R = "/api/v1/progress-reports"

def test_explore(client, db, settings):
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    h = auth(settings, focal)
    rec = make_recommendation(db, state="WSM")
    body = {"recommendation_ids": [str(rec.id)], "period_start": "2022-01-01", "period_end": "2022-12-31", "status": "in_progress"}
    r = client.post(R, json=body, headers=h)
    print("create", r.status_code, dict(r.headers))
    rid = r.json()["id"]
    for patch in ({"status": None}, {"summary": None}, {"measures": None}, {"evidence": None}, {"recommendation_ids": None}, {"cluster_id": None}):
        g = client.get(f"{R}/{rid}", headers=h)
        r = client.patch(f"{R}/{rid}", json=patch, headers={**h, "If-Match": g.headers["etag"]})
        print("patch", patch, r.status_code, r.text[:300])
    r = client.patch(f"{R}/{rid}/revisions/99", json={}, headers={**h, "If-Match": '*'})
    print("rev99", r.status_code, r.text[:200])
    r = client.post(f"{R}/{rid}/submit", headers=h)
    print("submit", r.status_code)
    r = client.patch(f"{R}/{rid}/revisions/99", json={}, headers={**h, "If-Match": '*'})
    print("rev99", r.status_code, r.text[:200])
    r = client.post(f"{R}/{rid}/revisions", json={"status": "fully_implemented"}, headers=h)
    print("revcreate", r.status_code, dict(r.headers), r.text[:300])
    r = client.get(f"{R}/{rid}/revisions/2", headers=h)
    print("revget", r.status_code, dict(r.headers))
    r = client.post(f"{R}/{rid}/unpublish", headers=h)
    print("unpub", r.status_code, r.text)
    r = client.post(f"{R}/batch", json={"items": [body, {**body, "status": "bad"}]}, headers=h)
    print("batch", r.status_code, r.text[:600])
    r = client.post(f"{R}/batch", json={"items": [body, {**body, "recommendation_ids": [str(uuid.uuid4())]}]}, headers=h)
    print("batch2", r.status_code, r.text[:600])
    S = "/api/v1/shortfalls"
    r = client.post(S, json={"recommendation_ids": [str(rec.id)], "barrier_type": "financial", "severity": "high", "description": "x"}, headers=h)
    print("sf", r.status_code, dict(r.headers))
    sid = r.json()["id"]
    r = client.patch(f"{S}/{sid}", json={"severity": None}, headers={**h, "If-Match": '"1"'})
    print("sfpatch", r.status_code, r.text[:300])
    client.post(f"{S}/{sid}/submit", headers=h)
    r = client.post(f"{S}/{sid}/unpublish", headers=h)
    print("sfunpub", r.status_code, r.text)
