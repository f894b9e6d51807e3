"""The OAuth2 token endpoint (`POST /api/v1/auth/token`) and the checks on every bearer token.
Throttling of failed sign-ins is in test_throttling.py."""

import base64
import json
import time
import uuid

import argon2
import pytest
from jose import jwt

from app.core import security
from app.core.principal import Role
from tests.conftest import TEST_SECRET
from tests.core.test_problems import assert_problem
from tests.factories import DEFAULT_PASSWORD, make_client, make_user

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/auth/me"
CLIENT_SECRET = "s3cret-for-tests-only"
WRONG_PASSWORD = "not the right password"


def password_grant(client, username, password=DEFAULT_PASSWORD):
    form = {"grant_type": "password", "username": username, "password": password}
    return client.post(TOKEN_URL, data=form)


def client_grant(client, client_id, secret=CLIENT_SECRET):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post(TOKEN_URL, data=form)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_oauth_error(response, status, error):
    body = assert_problem(response, status, "oauth-" + error.replace("_", "-"))
    assert body["error"] == error
    return body


def claims_for(settings, account, **changes):
    now = int(time.time())
    claims = {
        "sub": f"user:{account.id}",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "role": account.role.value,
    }
    claims.update(changes)
    return claims


def signed(claims, secret=TEST_SECRET, algorithm="HS256"):
    return jwt.encode(claims, secret, algorithm=algorithm)


class SpyHasher:
    """Delegates to the real Argon2 hasher and remembers every hash it verified against."""

    def __init__(self, real):
        self.real = real
        self.verified = []

    def verify(self, password_hash, password):
        self.verified.append(password_hash)
        return self.real.verify(password_hash, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


# Password grant


def test_password_grant_issues_a_bearer_token(client, db, settings):
    user = make_user(db)
    response = password_grant(client, user.email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_minutes * 60
    assert body["access_token"]
    assert "no-store" in response.headers["cache-control"]


def test_password_grant_token_identifies_the_user_on_me(client, db):
    user = make_user(db, role=Role.state_focal_point, state="WSM", name="Focal Point")
    token = password_grant(client, user.email).json()["access_token"]
    response = client.get(ME_URL, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": str(user.id),
        "email": user.email,
        "name": "Focal Point",
        "role": "state_focal_point",
        "state_code": "WSM",
    }


def test_password_grant_records_the_sign_in_time(client, db):
    user = make_user(db)
    assert password_grant(client, user.email).status_code == 200
    db.refresh(user)
    assert user.last_login_at is not None


def test_wrong_password_is_invalid_grant(client, db):
    user = make_user(db)
    assert_oauth_error(password_grant(client, user.email, WRONG_PASSWORD), 400, "invalid_grant")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, db):
    user = make_user(db)
    wrong = assert_oauth_error(
        password_grant(client, user.email, WRONG_PASSWORD), 400, "invalid_grant"
    )
    unknown = assert_oauth_error(
        password_grant(client, "nobody@example.org", WRONG_PASSWORD), 400, "invalid_grant"
    )
    del wrong["request_id"], unknown["request_id"]
    assert unknown == wrong


def test_unknown_user_costs_a_full_argon2_verification(client, db, monkeypatch):
    user = make_user(db)
    spy = SpyHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", spy)
    password_grant(client, user.email, WRONG_PASSWORD)
    password_grant(client, "nobody@example.org", WRONG_PASSWORD)
    assert len(spy.verified) == 2
    real_parameters = argon2.extract_parameters(user.password_hash)
    assert argon2.extract_parameters(spy.verified[1]) == real_parameters


def test_inactive_user_with_the_right_password_is_invalid_grant(client, db):
    user = make_user(db, active=False)
    assert_oauth_error(password_grant(client, user.email), 400, "invalid_grant")


def test_deactivated_users_existing_token_stops_working(client, db):
    user = make_user(db)
    token = password_grant(client, user.email).json()["access_token"]
    db.refresh(user)
    user.is_active = False
    db.add(user)
    db.flush()
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


def test_password_grant_without_password_is_invalid_request(client, db):
    user = make_user(db)
    response = client.post(TOKEN_URL, data={"grant_type": "password", "username": user.email})
    assert_oauth_error(response, 400, "invalid_request")


# Request shape


def test_missing_grant_type_is_invalid_request(client):
    response = client.post(TOKEN_URL, data={"username": "a@example.org", "password": "x"})
    assert_oauth_error(response, 400, "invalid_request")


def test_unknown_grant_type_is_unsupported_grant_type(client):
    response = client.post(TOKEN_URL, data={"grant_type": "authorization_code", "code": "x"})
    assert_oauth_error(response, 400, "unsupported_grant_type")


def test_json_body_instead_of_form_is_invalid_request(client, db):
    user = make_user(db)
    body = {"grant_type": "password", "username": user.email, "password": DEFAULT_PASSWORD}
    assert_oauth_error(client.post(TOKEN_URL, json=body), 400, "invalid_request")


# Client credentials grant


def test_client_credentials_in_the_form_issue_a_token_for_the_client(client, db):
    api_client = make_client(db, role=Role.state_focal_point, state="WSM")
    response = client_grant(client, api_client.client_id)
    assert response.status_code == 200, response.text
    me = client.get(ME_URL, headers=bearer(response.json()["access_token"])).json()
    assert me["id"] == str(api_client.id)
    assert (me["email"], me["role"], me["state_code"]) == (None, "state_focal_point", "WSM")


def test_client_credentials_in_http_basic_issue_a_token(client, db):
    api_client = make_client(db, role=Role.ohchr_officer)
    basic = base64.b64encode(f"{api_client.client_id}:{CLIENT_SECRET}".encode()).decode()
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


def test_wrong_client_secret_is_invalid_client_with_www_authenticate(client, db):
    api_client = make_client(db)
    response = client_grant(client, api_client.client_id, "wrong-secret")
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_revoked_client_is_invalid_client(client, db):
    api_client = make_client(db)
    api_client.is_active = False
    db.add(api_client)
    db.flush()
    assert_oauth_error(client_grant(client, api_client.client_id), 401, "invalid_client")


def test_revoked_clients_existing_token_stops_working(client, db):
    api_client = make_client(db)
    token = client_grant(client, api_client.client_id).json()["access_token"]
    db.refresh(api_client)
    api_client.is_active = False
    db.add(api_client)
    db.flush()
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


# Bearer token verification


def test_hand_built_token_with_every_claim_is_accepted(client, db, settings):
    """The control for the refusals below: only the one named flaw makes them fail."""
    user = make_user(db)
    response = client.get(ME_URL, headers=bearer(signed(claims_for(settings, user))))
    assert response.status_code == 200, response.text


def test_expired_token_is_refused(client, db, settings):
    user = make_user(db)
    now = int(time.time())
    token = signed(claims_for(settings, user, iat=now - 7200, exp=now - 60))
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


def test_token_signed_with_another_secret_is_refused(client, db, settings):
    user = make_user(db)
    token = signed(claims_for(settings, user), secret="another-secret-" + "y" * 40)
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


def test_token_signed_with_another_hmac_algorithm_is_refused(client, db, settings):
    user = make_user(db)
    token = signed(claims_for(settings, user), algorithm="HS512")
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


def test_unsigned_alg_none_token_is_refused(client, db, settings):
    user = make_user(db)

    def segment(part):
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims_for(settings, user))}."
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


@pytest.mark.parametrize(("claim", "value"), [("aud", "another-api"), ("iss", "another-issuer")])
def test_token_for_another_audience_or_issuer_is_refused(client, db, settings, claim, value):
    user = make_user(db)
    token = signed(claims_for(settings, user, **{claim: value}))
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


@pytest.mark.parametrize("missing", security.REQUIRED_CLAIMS)
def test_token_missing_a_required_claim_is_refused(client, db, settings, missing):
    user = make_user(db)
    claims = claims_for(settings, user)
    del claims[missing]
    assert_problem(client.get(ME_URL, headers=bearer(signed(claims))), 401, "unauthorized")


@pytest.mark.parametrize(
    "subject",
    ["user:{unknown}", "user:not-a-uuid", "admin:{id}", "{id}", "client:{id}"],
)
def test_token_whose_subject_names_no_active_account_is_refused(client, db, settings, subject):
    user = make_user(db)
    sub = subject.format(id=user.id, unknown=uuid.uuid4())
    token = signed(claims_for(settings, user, sub=sub))
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")


@pytest.mark.parametrize(
    "header", ["Bearer not.a.jwt", "Bearer", "Basic dXNlcjpwYXNz", "garbage", "Bearer a b c"]
)
def test_garbage_authorization_header_is_401_with_bearer_challenge(client, header):
    response = client.get(ME_URL, headers={"Authorization": header})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_whose_signature_was_checked_before_still_expires(
    client, db, settings, monkeypatch
):
    """The signature is checked once per token; the expiry on every request."""
    user = make_user(db)
    now = int(time.time())
    token = signed(claims_for(settings, user, iat=now, exp=now + 30))
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200
    monkeypatch.setattr(security.time, "time", lambda: now + 31)
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "unauthorized")
    monkeypatch.setattr(security.time, "time", lambda: now + 30)
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200  # the last second counts


def test_a_token_refused_once_is_refused_again(client, db, settings):
    user = make_user(db)
    forged = signed(claims_for(settings, user), secret="another-secret-" + "y" * 40)
    for _ in range(2):
        assert_problem(client.get(ME_URL, headers=bearer(forged)), 401, "unauthorized")
