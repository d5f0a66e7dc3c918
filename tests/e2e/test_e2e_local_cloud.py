"""The real template in the local cloud, used over HTTP with real Cognito tokens."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
import urllib.error
import urllib.request

import pytest

from e2e_support import application_body, download, http, local_cloud, tokens, validate_signature, wait_for  # noqa: F401 (fixtures)
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

def template_routes() -> dict[str, str]:
    """Every HttpApi route of infra/template.yaml, and the function that serves it."""
    import pathlib

    from tools.localcloud.deploy import load_template

    template = load_template(pathlib.Path(__file__).parents[2] / "infra" / "template.yaml")
    routes = {}
    for name, resource in template["Resources"].items():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                routes[f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"] = name
    return routes


CONTRACTOR_ROUTES = {route for route, function in template_routes().items() if function == "ApplyFunction"} - {"GET /orderers", "GET /issuers"}


def concrete(route: str) -> tuple[str, str]:
    method, path = route.split(" ", 1)
    path = path.replace("{application_id}", "0" * 24).replace("{number}", "31073-00001N").replace("{version}", "1")
    return method, path


def anonymous_status(url: str) -> int:
    """The HTTP status of an unsigned GET (no credentials, no query signature)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_template_route_is_served(local_cloud, http, tokens):
    routes = set(local_cloud[1]["routes"])
    assert routes == set(template_routes())  # every HttpApi route of the template, none other
    assert {"GET /orderers", "POST /verifications", "POST /contracts/{number}/changes"} <= routes
    for route in routes:
        method, path = concrete(route)
        if route == "GET /orderers":
            status, body = http.call(method, path)
            assert status == 200 and len(body["orderers"]) == 4
            continue
        if route == "GET /issuers":
            status, body = http.call(method, path)
            assert status == 200 and "toto-hosho" in {i["issuer_id"] for i in body["issuers"]}
            continue
        assert http.call(method, path)[0] == 401, route  # the JWT authorizer guards it
        body = {} if method == "POST" else None
        if " /staff/" in route:  # only the staff pool's tokens (signed in with TOTP) pass StaffJwt
            for other in ("contractor", "orderer"):
                assert http.call(method, path, tokens[other], body=body)[0] == 401, (route, other)
            continue
        assert http.call(method, path, tokens["staff"], body=body)[0] == 401, route  # staff tokens pass StaffJwt only
        wrong = "orderer" if route in CONTRACTOR_ROUTES else "contractor"
        status, body = http.call(method, path, tokens[wrong], body=body)
        assert status == 403, (route, status, body)  # the function itself answered


def test_tampered_token_is_refused(http, tokens):
    header, payload, signature = tokens["contractor"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["custom:company_id"] = "another-company"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert http.call("GET", "/contracts", f"{header}.{forged}.{signature}")[0] == 401
    assert http.call("GET", "/contracts", "not-a-token")[0] == 401


def test_whole_flow_over_http(local_cloud, http, tokens):
    cloud, _ = local_cloud
    status, created = http.call("POST", "/applications", tokens["contractor"], application_body(), {"Idempotency-Key": "e2e-1"})
    assert status == 201, created
    again = http.call("POST", "/applications", tokens["contractor"], application_body(), {"Idempotency-Key": "e2e-1"})
    assert again == (201, created)

    status, queue = http.call("GET", "/staff/applications?status=submitted", tokens["staff"])
    assert created["application_id"] in [a["application_id"] for a in queue["applications"]]

    issued_at = time.monotonic()
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202 and issued["state"] == "rendered", issued
    number = issued["contract_number"]

    # The bucket's notification runs the publisher; then the contractor sees the key.
    detail = wait_for(lambda: (lambda r: r[1] if r[1].get("auth_key") else None)(http.call("GET", f"/contracts/{number}", tokens["contractor"])))
    key = detail["auth_key"]
    assert re.fullmatch(r"[A-HJ-NP-Za-km-np-z2-9]{12}", key)
    assert detail["history"][0]["target"] == "新規"
    status, notice = http.call("GET", f"/contracts/{number}/notice", tokens["contractor"])
    assert status == 200 and download(notice["url"]).startswith(b"%PDF")
    # The notice prints the key: it is stored under the documents key (SSE-KMS), not SSE-S3.
    stored = cloud.client("s3").head_object(Bucket=local_cloud[1]["outputs"]["BucketName"], Key=f"notices/{number}/v001.pdf")
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"] == local_cloud[1]["outputs"]["DocumentsKeyArn"]

    # The documents bucket refuses anonymous access, as on AWS: the signed link opens the notice (with
    # its key); the same object unsigned, and a listing of the bucket, answer 403.
    bucket = local_cloud[1]["outputs"]["BucketName"]
    assert anonymous_status(f"{cloud.endpoint}/{bucket}/notices/{number}/v001.pdf") == 403
    assert anonymous_status(notice["url"].split("?", 1)[0]) == 403
    assert anonymous_status(f"{cloud.endpoint}/{bucket}?list-type=2") == 403
    assert anonymous_status(f"{cloud.endpoint}/{bucket}") == 403

    status, verified = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number.replace("-", "ー"), "auth_key": key})
    latency = time.monotonic() - issued_at
    assert status == 200, verified
    print(f"\nissue call -> verifiable: {latency:.2f} s")
    assert verified["certificate"]["contract_number"] == number
    assert verified["certificate"]["beneficiary"] == "栃木県知事"
    certificate_pdf = download(verified["pdf_url"])
    status_of_signature = validate_signature(
        certificate_pdf, (cloud.data_dir / "signing-root.pem").read_text(), (cloud.data_dir / "tsa-root.pem").read_text()
    )
    assert status_of_signature.intact and status_of_signature.valid and status_of_signature.trusted
    # B-T: the demo TSA beside the local cloud timestamped the signature.
    timestamp = status_of_signature.timestamp_validity
    assert timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
    assert hashlib.sha256(certificate_pdf).hexdigest() == verified["certificate"]["sha256"]
    assert http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]["viewed_by_orderer_at"]

    # The e-mail arrived, and says nothing of the key.
    mails = wait_for(lambda: [m for m in cloud.outbox() if number in (m.get("BodyText") or "")])
    assert mails[0]["Subject"] == "電子保証（認証キー）発行完了のお知らせ"
    assert key not in json.dumps(mails, ensure_ascii=False)

    # A wrong key: the same 404 as an unknown number.
    assert http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": "ABCDEFGHJKLM"})[0] == 404

    # A restart keeps everything, the sent mail included (ministack forgets its outbox; we do not).
    cloud.stop()
    cloud.start()
    assert [m["MessageId"] for m in cloud.mail() if number in (m.get("BodyText") or "")] == [mails[0]["MessageId"]]
    status, after = http.call("GET", f"/contracts/{number}", tokens["contractor"])
    assert status == 200 and after["auth_key"] == key
    assert http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": key})[0] == 200


def _published_contract(http, tokens) -> tuple[str, str]:
    status, created = http.call("POST", "/applications", tokens["contractor"], application_body())
    assert status == 201, created
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202, issued
    number = issued["contract_number"]
    detail = wait_for(lambda: (lambda r: r[1] if r[1].get("auth_key") else None)(http.call("GET", f"/contracts/{number}", tokens["contractor"])))
    return number, detail["auth_key"]


def test_a_change_over_http_reaches_the_orderer(local_cloud, http, tokens):
    cloud, _ = local_cloud
    number, key = _published_contract(http, tokens)
    change = {"guarantee": {"amount": "２５，０００，０００"}, "reason": "前払金の追加請求（増額）のため"}
    status, created = http.call("POST", f"/contracts/{number}/changes", tokens["contractor"], change, {"Idempotency-Key": f"change-{number}"})
    assert (status, created["kind"]) == (201, "change"), created
    assert http.call("POST", f"/contracts/{number}/changes", tokens["contractor"], {**change, "reason": "別の変更"})[0] == 409

    started = time.monotonic()
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202 and issued["label"] == "変更ー1", issued

    def orderer_sees_change():
        status, seen = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": key})
        return seen if status == 200 and seen["certificate"]["label"] == "変更ー1" else None

    seen = wait_for(orderer_sees_change)
    print(f"\nstaff issue of 変更ー1 -> the orderer sees it: {time.monotonic() - started:.2f} s")
    assert seen["certificate"]["guarantee_amount"] == 25_000_000
    assert [h["label"] for h in seen["history"]] == ["新規", "変更ー1"]
    assert (seen["status"], seen["chain_valid"]) == ("valid", True)
    certificate = download(seen["pdf_url"])
    validity = validate_signature(certificate, (cloud.data_dir / "signing-root.pem").read_text(), (cloud.data_dir / "tsa-root.pem").read_text())
    assert validity.intact and validity.valid and validity.trusted
    assert hashlib.sha256(certificate).hexdigest() == seen["certificate"]["sha256"]

    # 受領確認 of the change; the contractor sees who and when.
    status, receipt = http.call("POST", "/verifications/receipts", tokens["orderer"], {"contract_number": number, "auth_key": key, "version": 2})
    assert status == 201, receipt
    detail = http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]
    assert [(r["version"], r["orderer_name"]) for r in detail["receipts"]] == [(2, "栃木県")]
    # Its own notice and fee statement.
    status, notice = http.call("GET", f"/contracts/{number}/notice", tokens["contractor"])
    assert status == 200 and "v002" in notice["url"] and download(notice["url"]).startswith(b"%PDF")
    status, statement = http.call("GET", f"/contracts/{number}/fee-statements/2", tokens["contractor"])
    assert status == 200 and download(statement["url"]).startswith(b"%PDF")
    mails = wait_for(lambda: [m for m in cloud.outbox() if number in (m.get("BodyText") or "")][1:])
    assert key not in json.dumps(mails, ensure_ascii=False)

    # A new key: every shown version's notice prints it (the link reads what the version records).
    revision = http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]["revision"]  # If-Match, as the staff screen sends it
    status, rotated = http.call("POST", f"/staff/contracts/{number}/key-rotation", tokens["staff"], headers={"If-Match": f'"{revision}"'})
    assert status == 200 and rotated["key_generation"] == 2, rotated
    renewed = http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]["auth_key"]
    for version in (1, 2):
        status, notice = http.call("GET", f"/contracts/{number}/notice?version={version}", tokens["contractor"])
        assert status == 200 and f"v00{version}-key2" in notice["url"], notice
        text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(download(notice["url"]))).pages))
        assert renewed in text and key not in text


def _post_form(url: str, fields: dict, data: bytes) -> int:
    """multipart/form-data as the browser posts a presigned POST (the file last)."""
    boundary = "esurety-upload-boundary"
    parts = []
    for name, value in {**fields, "Content-Type": "application/pdf"}.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="nintei.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(url, data=b"".join(parts), method="POST")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_interim_advance_with_its_nintei_chousho_over_http(local_cloud, http, tokens):
    from reportlab.pdfgen.canvas import Canvas

    advance, _ = _published_contract(http, tokens)
    status, upload = http.call("POST", "/applications/uploads", tokens["contractor"])
    assert status == 201, upload
    pdf = io.BytesIO()
    canvas = Canvas(pdf)
    canvas.drawString(72, 720, "nintei chousho")
    canvas.save()
    assert _post_form(upload["url"], upload["fields"], pdf.getvalue()) in (200, 204)
    body = application_body()
    body.update(product="interim_advance_payment", upload_id=upload["upload_id"], advance_contract_number=advance, deposit_bank=body["deposit_bank"])
    body["guarantee"] = {**body["guarantee"], "amount": min(body["guarantee"]["amount"], body["work"]["contract_price"] // 5)}

    def accepted():  # the upload check runs on the bucket's notification; until then 422 "not arrived"
        status, created = http.call("POST", "/applications", tokens["contractor"], body, {"Idempotency-Key": f"interim-{advance}"})
        return created if status == 201 else None

    created = wait_for(accepted)
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202, issued
    detail = wait_for(lambda: (lambda r: r[1] if r[1].get("auth_key") else None)(http.call("GET", f"/contracts/{issued['contract_number']}", tokens["contractor"])))
    assert detail["certificate"]["product"] == "interim_advance_payment"


def test_the_guarantees_whole_life_over_http(local_cloud, http, tokens):
    """新規 → 変更ー1 (増額) → 訂正 of 変更ー1 → 変更ー2 (期限延長) → 変更取消 of 変更ー2 → 解約, through the
    deployed API: after each step the orderer's view is what the rules say."""
    cloud, _ = local_cloud
    number, key = _published_contract(http, tokens)
    staff, contractor, orderer = tokens["staff"], tokens["contractor"], tokens["orderer"]

    def seen(until=None):
        def look():
            status, answer = http.call("POST", "/verifications", orderer, {"contract_number": number, "auth_key": key})
            assert status == 200, answer
            return answer if until is None or until(answer) else None

        return wait_for(look)

    def labels(answer):
        return [(h["label"], h["version"]) for h in answer["history"]]

    def change(body):
        status, created = http.call("POST", f"/contracts/{number}/changes", contractor, body)
        assert status == 201, created
        status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", staff)
        assert status == 202, issued
        return issued

    issued = change({"guarantee": {"amount": 30_000_000}, "reason": "前払金の追加請求（増額）のため"})
    answer = seen(lambda a: a["current_version"] == issued["version"])
    assert labels(answer) == [("新規", 1), ("変更ー1", 2)] and answer["certificate"]["guarantee_amount"] == 30_000_000

    def as_read() -> dict:  # the revision the staff screen shows, as it sends it (required: 428 without)
        return {"If-Match": f'"{http.call("GET", f"/staff/contracts/{number}", staff)[1]["revision"]}"'}

    status, corrected = http.call("POST", f"/staff/contracts/{number}/versions/2/corrections", staff,
                                  {"deposit_bank": "みどり銀行 駅前支店", "reason": "預託金融機関の支店名の誤記"}, headers=as_read())
    assert status == 202, corrected
    answer = seen(lambda a: a["current_version"] == corrected["version"])
    assert labels(answer) == [("新規", 1), ("変更ー1", 3)] and answer["certificate"]["deposit_bank"] == "みどり銀行 駅前支店"
    assert http.call("POST", "/verifications", orderer, {"contract_number": number, "auth_key": key, "version": 2})[0] == 404

    issued = change({"guarantee": {"deadline": "2030-09-30"}, "work": {"period_end": "2030-09-13"}, "reason": "工期延長のため"})
    answer = seen(lambda a: a["current_version"] == issued["version"])
    assert labels(answer) == [("新規", 1), ("変更ー1", 3), ("変更ー2", 4)]
    assert (answer["certificate"]["guarantee_deadline"], answer["certificate"]["deposit_bank"]) == ("2030-09-30", "みどり銀行 駅前支店")

    # Only the last change may be withdrawn: 変更ー1 under 変更ー2 is refused, naming 変更ー2, and the deposit holds.
    status, refused = http.call("POST", f"/staff/contracts/{number}/versions/3/cancellation", staff, {"reason": "誤って申し込んだため"},
                                headers=as_read())
    assert (status, refused["code"]) == (409, "only_last_change_cancellable") and "変更ー2" in refused["reason"], refused
    assert seen()["chain_valid"] is True

    status, cancelled = http.call("POST", f"/staff/contracts/{number}/versions/4/cancellation", staff, {"reason": "変更契約が締結されなかったため"},
                                  headers=as_read())
    assert status == 200, cancelled
    answer = seen()
    assert labels(answer) == [("新規", 1), ("変更ー1", 3)] and answer["certificate"]["guarantee_deadline"] == "2030-03-29"

    # A change still waiting for staff when the guarantee ends is withdrawn with it (the contractor is told).
    status, waiting = http.call("POST", f"/contracts/{number}/changes", contractor,
                                {"guarantee": {"amount": 32_000_000}, "reason": "前払金の追加請求（増額）のため"})
    assert status == 201, waiting
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))
    status, ending = http.call("POST", f"/staff/contracts/{number}/termination", staff, {"kind": "cancelled", "date": today, "reason": "工事の中止による解約"},
                               headers=as_read())
    assert status == 200, ending
    answer = seen()
    assert (answer["status"], answer["status_label"], answer["chain_valid"]) == ("terminated", "解約", True)
    assert answer["certificate"]["guarantee_amount"] == 30_000_000  # the version in force at the end, never the waiting change
    mine = {a["application_id"]: a for a in http.call("GET", "/applications", contractor)[1]["applications"]}
    assert mine[waiting["application_id"]]["status"] == "rejected" and "取り下げ" in mine[waiting["application_id"]]["reject_reason"]
    status, refused = http.call("POST", f"/staff/applications/{waiting['application_id']}/issue", staff)
    assert status == 409, refused
    assert download(answer["pdf_url"]).startswith(b"%PDF")  # ended, and still viewable
    status, link = http.call("GET", f"/contracts/{number}/termination-statement", contractor)
    assert status == 200 and download(link["url"]).startswith(b"%PDF")
    view = http.call("GET", f"/staff/contracts/{number}", staff)[1]
    assert [r["kind"] for r in view["records"]] == ["新規", "変更", "訂正", "変更", "変更取消"]
    mails = wait_for(lambda: (lambda m: m if len(m) >= 6 else None)([m for m in cloud.outbox() if number in (m.get("BodyText") or "")]))
    assert key not in json.dumps(mails, ensure_ascii=False)


def test_a_decision_on_a_contract_whose_address_ses_refuses_answers_2xx(local_cloud, http, tokens):
    """The address is stored as before addresses were checked at input: the rotation is recorded,
    and its e-mail is handled by the mail sender outside the request (sent, or shown undelivered)."""
    cloud, deployed = local_cloud
    status, refused = http.call("POST", "/applications", tokens["contractor"], {**application_body(), "notify_email": "田中@example.jp"})
    assert status == 422 and [e["field"] for e in refused["errors"]] == ["notify_email"]
    number, _ = _published_contract(http, tokens)
    cloud.client("dynamodb").update_item(
        TableName=deployed["outputs"]["TableName"], Key={"pk": {"S": f"CONTRACT#{number}"}, "sk": {"S": "CONTRACT"}},
        UpdateExpression="SET notify_email = :a", ExpressionAttributeValues={":a": {"S": "田中@example.jp"}},
    )
    revision = http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]["revision"]  # If-Match, as the staff screen sends it
    status, rotated = http.call("POST", f"/staff/contracts/{number}/key-rotation", tokens["staff"], headers={"If-Match": f'"{revision}"'})
    assert status == 200 and rotated["key_generation"] == 2, rotated
    assert http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]["key_generation"] == 2

    def handled():  # the mail sender ran: the local SES took the mail, or refused it and staff see that
        view = http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]
        sent = [m for m in cloud.outbox() if number in (m.get("BodyText") or "") and "再発行" in (m.get("Subject") or "")]
        return sent or view.get("undelivered_mail")

    assert wait_for(handled)
