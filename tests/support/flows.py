"""The builders of the flows tests share: a guarantee applied for, issued and published through the
handlers on the in-process AWS (tests/conftest.py's `api` and `handlers`), and the staff's actions on it.

Test modules import these from here, never from one another (tests/unit/test_test_layout.py)."""
from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime, timedelta, timezone

import boto3
from pypdf import PdfReader

from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event
from esurety.domain.japanese import clock
from esurety.config import settings
from esurety.aws.models import VersionItem


def pdf_text(key: str) -> str:
    import io

    data = boto3.client("s3").get_object(Bucket=settings().bucket_name, Key=key)["Body"].read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def issue_and_publish(api, handlers, product="advance_payment", event_time="2024-04-01T03:00:00.000Z", **overrides):
    status, created = api.post("/applications", CONTRACTOR_A, application_body(product, **overrides))
    assert status == 201, created
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    number = issued["contract_number"]
    event = s3_put_event(f"certificates/{number}/v001.pdf", event_time)
    handlers["publish"].lambda_handler(event, LambdaContext())
    return created["application_id"], number, event


# ----------------------------------------------------------------------------- staff actions

JST = timezone(timedelta(hours=9))
STAFF_2 = {"cognito:groups": "[staff]", "sub": "staff-2"}

INCREASE = {"guarantee": {"amount": 30_000_000}, "reason": "前払金の追加請求（増額）のため"}
EXTENSION = {"guarantee": {"deadline": "2025-09-30"}, "work": {"period_end": "2025-09-12"}, "reason": "工期延長のため"}
BANK_FIX = {"deposit_bank": "みどり銀行 駅前支店", "reason": "預託金融機関の支店名の誤記"}


# ----------------------------------------------------------------------------- helpers


def at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


def publish(handlers, number: str, version: int, event_time: str) -> None:
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v{version:03d}.pdf", event_time), LambdaContext())


def verify(api, number: str, key: str, **extra) -> tuple[int, dict]:
    return api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key, **extra})


def overview(api, number: str) -> dict:
    status, detail = api.get(f"/contracts/{number}", CONTRACTOR_A)
    assert status == 200, detail
    return detail


def issue_change(api, handlers, number: str, body: dict, event_time: str) -> dict:
    status, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, body)
    assert status == 201, created
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    publish(handlers, number, issued["version"], event_time)
    return issued


def as_read(api, number: str, headers: dict, claims=STAFF) -> dict:
    """The headers of an action as the staff screen sends it: `If-Match` names the revision it
    shows (read now), unless the test names one (or `If-Match=None`: the header left out)."""
    if "If-Match" not in headers:
        status, view = api.get(f"/staff/contracts/{number}", claims)
        headers = {**headers, "If-Match": f'"{view["revision"]}"' if status == 200 else "0"}
    return {k: v for k, v in headers.items() if v is not None} or None


def correct(api, number: str, version: int, body: dict, claims=STAFF, **headers) -> tuple[int, dict]:
    return api.post(f"/staff/contracts/{number}/versions/{version}/corrections", claims, body, headers=as_read(api, number, headers, claims))


def cancel(api, number: str, version: int, reason: str = "変更契約が締結されなかったため", **headers) -> tuple[int, dict]:
    return api.post(
        f"/staff/contracts/{number}/versions/{version}/cancellation", STAFF, {"reason": reason}, headers=as_read(api, number, headers)
    )


def terminate(api, number: str, body: dict, claims=STAFF, **headers) -> tuple[int, dict]:
    return api.post(f"/staff/contracts/{number}/termination", claims, body, headers=as_read(api, number, headers, claims))


def rotate(api, number: str, claims=STAFF, **headers) -> tuple[int, dict]:
    return api.post(f"/staff/contracts/{number}/key-rotation", claims, headers=as_read(api, number, headers, claims))


def staff_contract(api, number: str) -> dict:
    status, view = api.get(f"/staff/contracts/{number}", STAFF)
    assert status == 200, view
    return view


def records(number: str) -> list[VersionItem]:
    return sorted(VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith("VERSION#")), key=lambda r: int(r.version))


def labels(seen: dict) -> list[tuple[str, int]]:
    return [(h["label"], h["version"]) for h in seen["history"]]


def key_of(link: dict) -> str:
    return urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path).lstrip("/")


def no_key_anywhere(key: str, *things) -> None:
    text = json.dumps(things, ensure_ascii=False, default=str)
    assert key not in text


