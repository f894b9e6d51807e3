"""Signatures are Standard Webhooks': the `standardwebhooks` library accepts them."""

import base64
import datetime as dt

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.webhooks.signing import new_secret, sign


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_the_library_signs_as_we_do() -> None:
    secret, body = new_secret(), '{"type":"shortfall.published"}'
    moment = dt.datetime(2026, 12, 4, 16, 46, 15, tzinfo=dt.UTC)

    ours = sign(secret, "msg_1", int(moment.timestamp()), body.encode())

    assert ours == Webhook(secret).sign("msg_1", moment, body)


def test_the_library_verifies_our_signature_and_refuses_another_secret() -> None:
    secret, body = new_secret(), b'{"type":"shortfall.published"}'
    now = int(dt.datetime.now(dt.UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, "msg_1", now, body),
    }

    assert Webhook(secret).verify(body, headers) == {"type": "shortfall.published"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers | {"webhook-id": "msg_2"})
