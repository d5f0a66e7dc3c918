"""The whole slice for each product: apply -> staff issue -> S3 arrival publishes -> verify."""
from __future__ import annotations

import re
import urllib.parse

import boto3
import pytest

from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event
from esurety.config import settings
from esurety.aws.models import ContractItem, VersionItem
from support.flows import issue_and_publish, pdf_text

# 中間前払金保証 follows a 前払金保証 and names the orderer's 認定調書: test_contract_life.py.
PRODUCTS = ["advance_payment", "contract"]


@pytest.mark.parametrize("product", PRODUCTS)
def test_apply_issue_publish_verify(api, handlers, sent_mail, product):
    status, created = api.post("/applications", CONTRACTOR_A, application_body(product))
    assert (status, created["status"]) == (201, "submitted")
    assert api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)[1]["status"] == "submitted"

    status, queue = api.get("/staff/applications", STAFF, query={"status": "submitted"})
    assert [a["application_id"] for a in queue["applications"]] == [created["application_id"]]

    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202
    assert issued["state"] == "rendered" and issued["version"] == 1
    number = issued["contract_number"]
    assert re.fullmatch(r"31\d{3}-00001[A-Z]", number)

    # Before the certificate arrives on the platform, neither side sees it.
    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert detail["certificate"] is None and detail["auth_key"] is None

    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf", "2024-04-01T03:00:00.000Z"), LambdaContext())

    status, detail = api.get(f"/contracts/{number}", CONTRACTOR_A)
    assert status == 200
    key = detail["auth_key"]
    assert re.fullmatch(r"[A-HJ-NP-Za-km-np-z2-9]{12}", key)
    certificate = detail["certificate"]
    assert certificate["issued_at"] == "2024-04-01T12:00:00+09:00"  # arrival time, in JST
    assert certificate["product"] == product
    assert certificate["beneficiary"] == "栃木県知事"
    assert certificate["guarantee_amount"] == 20_000_000
    assert certificate["change_number"] is None
    assert detail["history"] == [
        {"no": 1, "label": "新規", "target": "新規", "version": 1, "change_number": None, "issued_at": "2024-04-01T12:00:00+09:00"}
    ]
    assert detail["status"] == "valid" and detail["status_label"] == "有効"
    assert detail["viewed_by_orderer_at"] is None

    listing = api.get("/contracts", CONTRACTOR_A)[1]["contracts"]
    assert [(c["contract_number"], c["orderer_name"], c["format"]) for c in listing] == [(number, "栃木県", "electronic")]
    application = api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)[1]
    assert application == {
        "application_id": created["application_id"],
        "reference": created["application_id"][:8].upper()[:4] + "-" + created["application_id"][4:8].upper(),
        "kind": "new",
        "status": "issued",
        "contract_number": number,
        "reject_reason": None,
        "issuer": {"issuer_id": "toto-hosho", "name": "東都建設保証株式会社", "kind": "surety", "kind_label": "保証事業会社"},
        "submitted_at": "2024-04-01T10:00:00+09:00",
        "request": application["request"],  # everything sent, to read again (tests/integration/test_profiles.py)
    }
    assert application["request"]["work"]["name"] == application_body()["work"]["name"]

    # The notice PDF carries the number and the key, and is reachable through a short-lived link.
    status, notice = api.get(f"/contracts/{number}/notice", CONTRACTOR_A)
    assert status == 200
    query = urllib.parse.parse_qs(urllib.parse.urlparse(notice["url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    text = pdf_text(f"notices/{number}/v001.pdf")
    assert number in text and key in text

    # The e-mail says it is done, and never carries the key.
    mails = sent_mail()
    assert len(mails) == 1
    assert mails[0].subject == "電子保証（認証キー）発行完了のお知らせ"
    assert mails[0].destinations["ToAddresses"] == ["keiri@maruyama-kensetsu.example"]
    assert key not in mails[0].body and number in mails[0].body

    # The orderer types what is on the notice, full-width and with spaces, and reads the certificate.
    typed_number = number.replace("-", "ー").translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    status, verified = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": f" {typed_number} ", "auth_key": f"{key[:6]} {key[6:]}"})
    assert status == 200, verified
    assert verified["certificate"] == certificate
    assert verified["history"] == detail["history"]
    assert verified["pdf_url"].startswith("https://")
    assert f"certificates/{number}/v001.pdf" in urllib.parse.unquote(verified["pdf_url"])

    # The contractor sees that the orderer looked.
    assert api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["viewed_by_orderer_at"] is not None
    status, link = api.get(f"/contracts/{number}/certificates/1", CONTRACTOR_A)
    assert status == 200 and "v001.pdf" in urllib.parse.unquote(link["url"])


def test_certificate_pdf_holds_the_certificate_fields(api, handlers):
    _, number, _ = issue_and_publish(api, handlers)
    text = pdf_text(f"certificates/{number}/v001.pdf")
    for expected in (number, "丸山建設株式会社", "栃木県知事", "20,000,000円", "50,000,000円", "令和07年03月31日", "みどり銀行本町支店", "前払金保証約款"):
        assert expected in text, expected


def test_staff_issue_twice_does_nothing_new(api, handlers):
    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    first = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    second = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert first == second
    number = first[1]["contract_number"]
    assert len(list(VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith("VERSION#")))) == 1
    versions = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name, Prefix="certificates/")
    assert len(versions.get("Versions", [])) == 1  # no second object, so no second arrival event


def test_replayed_arrival_publishes_once_and_mails_once(api, handlers, sent_mail):
    _, number, event = issue_and_publish(api, handlers, event_time="2024-04-01T03:00:00.000Z")
    later = s3_put_event(f"certificates/{number}/v001.pdf", "2024-04-01T05:00:00.000Z")
    handlers["publish"].lambda_handler(event, LambdaContext())
    handlers["publish"].lambda_handler(later, LambdaContext())
    versions = list(VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith("VERSION#")))
    assert [(v.version, v.state) for v in versions] == [(1, "published")]
    assert versions[0].issued_at.isoformat() == "2024-04-01T03:00:00+00:00"  # the first arrival stands
    assert len(sent_mail()) == 1


def test_no_mail_when_not_asked_for(api, handlers, sent_mail):
    issue_and_publish(api, handlers, notify_email=None)
    assert sent_mail() == []


def test_arrival_of_bytes_other_than_the_recorded_ones_is_not_published(api, handlers):
    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    key = f"certificates/{number}/v001.pdf"
    boto3.client("s3").put_object(Bucket=settings().bucket_name, Key=key, Body=b"%PDF-1.4 forged", Metadata={"sha256": "0" * 64})
    handlers["publish"].lambda_handler(s3_put_event(key), LambdaContext())
    assert VersionItem.get(f"CONTRACT#{number}", "VERSION#001").state == "rendered"


def test_paper_guarantee_is_numbered_but_never_on_the_platform(api, handlers):
    body = application_body("contract", format="paper", orderer_id="mlit")
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    contract = ContractItem.get(f"CONTRACT#{number}", "CONTRACT")
    assert contract.key_digest is None and contract.key_ciphertext is None
    listed = boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name, Prefix="certificates/")
    assert listed.get("KeyCount") == 0
    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert detail["auth_key"] is None and detail["format"] == "paper"
    assert api.get(f"/contracts/{number}/notice", CONTRACTOR_A)[0] == 404


def test_rejected_application(api, handlers):
    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    status, rejected = api.post(f"/staff/applications/{created['application_id']}/reject", STAFF, {"reason": "保証金額が請負金額の４割を超えています"})
    assert status == 200 and rejected["status"] == "rejected"
    assert api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)[1]["status"] == "rejected"
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 409
    assert api.get("/staff/applications", STAFF, query={"status": "submitted"})[1]["applications"] == []
    rejected_queue = api.get("/staff/applications", STAFF, query={"status": "rejected"})[1]["applications"]
    assert rejected_queue[0]["reject_reason"] == "保証金額が請負金額の４割を超えています"  # as typed


def test_issued_application_cannot_be_rejected(api, handlers):
    application_id, _, _ = issue_and_publish(api, handlers)
    assert api.post(f"/staff/applications/{application_id}/reject", STAFF, {"reason": "x"})[0] == 409


def test_serials_count_per_branch_year_and_product(api, handlers):
    numbers = [issue_and_publish(api, handlers, product)[1] for product in ("advance_payment", "advance_payment", "contract")]
    assert [n[6:11] for n in numbers] == ["00001", "00002", "00001"]
    assert numbers[0][4] == "3" and numbers[2][4] == "2"


def test_paper_certificate_does_not_say_it_is_electronic(api, handlers):
    status, created = api.post("/applications", CONTRACTOR_A, application_body("contract", format="paper", orderer_id="mlit"))
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    paper = pdf_text(f"paper/{number}/v001.pdf")
    assert number in paper and "電子的な取扱" not in paper
    _, electronic_number, _ = issue_and_publish(api, handlers)
    assert "電子的な取扱" in pdf_text(f"certificates/{electronic_number}/v001.pdf")


def test_an_application_whose_deadline_passed_while_waiting_is_not_issued(api, monkeypatch):
    from esurety.domain.japanese import clock

    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    later = clock.now().replace(year=2025, month=4, day=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    status, body = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 409
    assert api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)[1]["status"] == "submitted"
