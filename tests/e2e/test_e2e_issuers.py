"""Several issuers side by side in the local cloud, and a fourth onboarded while it runs.

A contractor applies for 前払金保証 with the surety (toto-hosho) and for 契約保証 with the insurer
(mihon-sonpo), both for 栃木県; each issuer's staff issue their own and get 404 on the other's; both
reach 栃木県's desk named with their issuer; each PDF validates with pyHanko against its own
issuer's demo root and not against the other's. Then an operator registers a fourth issuer (a
信用金庫) with tools/issuers.py in the running cloud — no code, no template, no deploy — and its
first certificate is issued and verified.
"""
from __future__ import annotations

import io
import json

import pytest

from e2e_support import application_body, download, http, local_cloud, tokens, validate_signature, wait_for  # noqa: F401 (fixtures)
from tools.localcloud import demo
from tools.localcloud.__main__ import STACK

pytestmark = pytest.mark.e2e

SHINKIN = {
    "issuer_id": "mihon-shinkin",
    "kind": "bank",
    "company": "見本信用金庫",
    "address": "栃木県宇都宮市見本町十一丁目１番",
    "representative": "理事長　見本　次郎",
    "number_code": "81",
    "products": [{"product": "contract", "document": "bank_guarantee"}],
    "mail_sender_name": "見本信用金庫 電子保証",
    "branches": {"11": {"name": "本店営業部", "address": "栃木県宇都宮市見本町十一丁目１番", "tel": "028-000-3000"}},
    "fee_rates": {
        "sample": True, "name": "サンプル保証料率表（見本信用金庫）", "note": "SAMPLE RATES for the demo.", "day_basis": 365,
        "products": {"contract": {"minimum_fee": 3000, "bands": [{"up_to": None, "annual_rate_percent": 0.5}]}},
    },
}


def _apply(http, tokens, product: str, issuer_id: str | None, branch: str, name: str) -> str:
    body = application_body()
    body["product"], body["branch_code"] = product, branch
    body["work"]["name"] = name
    if product == "contract":
        body["deposit_bank"] = None
        body["guarantee"]["amount"] = 5_000_000  # 契約保証: a tenth of the contract price
    if issuer_id:
        body["issuer_id"] = issuer_id
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    listed = {row["application_id"]: row for row in http.call("GET", "/applications", tokens["contractor"])[1]["applications"]}
    assert listed[created["application_id"]]["issuer"]["issuer_id"] == (issuer_id or "toto-hosho")  # 申込一覧 names it
    return created["application_id"]


def _issue(http, staff: str, application_id: str) -> str:
    status, issued = http.call("POST", f"/staff/applications/{application_id}/issue", staff)
    assert status == 202, issued
    return issued["contract_number"]


def _key(http, tokens, number: str) -> str:
    detail = wait_for(lambda: (lambda r: r[1] if r[1].get("auth_key") else None)(http.call("GET", f"/contracts/{number}", tokens["contractor"])))
    return detail["auth_key"]


def _signer_organisation(pdf: bytes) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].signer_cert.subject.native["organization_name"]


def _verified(http, tokens, number: str, key: str) -> dict:
    status, verification = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": key})
    assert status == 200, verification
    return verification


def _claims(token: str) -> dict:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_make_run_onboards_the_demo_issuers_each_with_its_own_key_certificate_and_staff(local_cloud, tokens):
    """What `make run` leaves for the demo: the seed's three issuers; the insurer and the bank with a
    key tagged for them, a certificate for that key naming them under a root of their own; a staff
    member per issuer; and the tool finds it all in place when run again."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    cloud, deployed = local_cloud
    kms, ssm = cloud.client("kms"), cloud.client("ssm")
    listed = demo.issuers_tool(cloud, STACK, "list").stdout
    assert all(issuer in listed for issuer in ("toto-hosho", "mihon-sonpo", "mirai-bank")), listed
    roots = set()
    for issuer, company in (("mihon-sonpo", "見本損害保険株式会社"), ("mirai-bank", "株式会社みらい見本銀行")):
        key = kms.describe_key(KeyId=f"alias/esurety-local-issuer-{issuer}")["KeyMetadata"]
        assert key["KeySpec"] == "ECC_NIST_P256" and key["KeyUsage"] == "SIGN_VERIFY" and key["KeyState"] == "Enabled"
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["Arn"])["Tags"]}
        assert tags == {"esurety:issuer": issuer, "esurety:stage": "local"}
        chain = x509.load_pem_x509_certificates(
            ssm.get_parameter(Name=f"/esurety/local/issuers/{issuer}/signing-certificate")["Parameter"]["Value"].encode())
        public = chain[0].public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert public == kms.get_public_key(KeyId=key["Arn"])["PublicKey"]
        assert chain[0].subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == company
        root = x509.load_pem_x509_certificate(demo.issuer_root_file(cloud, issuer).read_bytes())
        chain[1].verify_directly_issued_by(root)
        roots.add(root.subject)
        assert _claims(tokens[f"staff-{issuer}"])["custom:issuer_id"] == issuer
    assert len(roots) == 2  # a root of their own each
    assert _claims(tokens["staff"]).get("custom:issuer_id", "toto-hosho") == "toto-hosho"
    again = demo.issuers_tool(cloud, STACK, "register", "--seed", "mihon-sonpo", "--create-key", "--demo-certificate").stdout
    assert "unchanged" in again and "created" not in again, again


def test_two_issuers_side_by_side_then_a_fourth_onboarded_while_it_runs(local_cloud, http, tokens, tmp_path):
    cloud, deployed = local_cloud
    surety_staff, insurer_staff = tokens["staff"], tokens["staff-mihon-sonpo"]
    roots = {issuer: demo.issuer_root_file(cloud, issuer).read_text() for issuer in ("toto-hosho", "mihon-sonpo")}
    tsa_root = (cloud.data_dir / "tsa-root.pem").read_text()

    # The contractor chooses the issuer: 前払金保証 with the surety, 契約保証 with the insurer.
    advance = _apply(http, tokens, "advance_payment", None, "31", "県道宇都宮線道路改良工事（その５）")
    bond = _apply(http, tokens, "contract", "mihon-sonpo", "41", "県道日光線橋梁補修工事")

    # Each issuer's staff see and act on their own only: the other's is not there (404).
    surety_queue = {a["application_id"] for a in http.call("GET", "/staff/applications?status=submitted", surety_staff)[1]["applications"]}
    insurer_queue = {a["application_id"] for a in http.call("GET", "/staff/applications?status=submitted", insurer_staff)[1]["applications"]}
    assert advance in surety_queue and bond not in surety_queue
    assert bond in insurer_queue and advance not in insurer_queue
    assert http.call("GET", f"/staff/applications/{bond}", surety_staff)[0] == 404
    assert http.call("POST", f"/staff/applications/{bond}/issue", surety_staff)[0] == 404
    assert http.call("POST", f"/staff/applications/{advance}/issue", insurer_staff)[0] == 404
    surety_number = _issue(http, surety_staff, advance)
    insurer_number = _issue(http, insurer_staff, bond)
    assert insurer_number.startswith("51-") and not surety_number.startswith("51-")  # numbers carry the issuer
    assert http.call("GET", f"/staff/contracts/{insurer_number}", surety_staff)[0] == 404
    assert http.call("GET", f"/staff/contracts/{surety_number}", insurer_staff)[0] == 404

    # Both reach 栃木県: verified by number and key, each named with its issuer, on the desk too.
    pdfs = {}
    for issuer, number in (("toto-hosho", surety_number), ("mihon-sonpo", insurer_number)):
        verification = _verified(http, tokens, number, _key(http, tokens, number))
        assert verification["issuer"]["issuer_id"] == issuer, verification
        pdfs[issuer] = download(verification["pdf_url"])
    status, page = http.call("GET", "/desk/guarantees", tokens["orderer"])
    assert status == 200, page
    rows = {row["contract_number"]: row for row in page["items"]}
    assert rows[surety_number]["issuer"]["name"] == "東都建設保証株式会社"
    assert rows[insurer_number]["issuer"] == {"issuer_id": "mihon-sonpo", "name": "見本損害保険株式会社", "kind": "insurer", "kind_label": "損害保険会社"}
    only_insurer = {row["contract_number"] for row in http.call("GET", "/desk/guarantees?issuer_id=mihon-sonpo", tokens["orderer"])[1]["items"]}
    assert insurer_number in only_insurer and surety_number not in only_insurer
    status, one = http.call("GET", f"/desk/guarantees/{insurer_number}", tokens["orderer"])
    assert status == 200 and one["issuer"]["issuer_id"] == "mihon-sonpo", one

    # Each PDF is signed by its own issuer: trusted under its root, not under the other's.
    for issuer, other in (("toto-hosho", "mihon-sonpo"), ("mihon-sonpo", "toto-hosho")):
        own = validate_signature(pdfs[issuer], roots[issuer], tsa_root)
        assert own.intact and own.valid and own.trusted, (issuer, own)
        foreign = validate_signature(pdfs[issuer], roots[other], tsa_root)
        assert foreign.intact and not foreign.trusted, (issuer, other)
    assert _signer_organisation(pdfs["mihon-sonpo"]) == "見本損害保険株式会社"

    # A fourth issuer, onboarded in the running cloud as an operator does it: a file, the tool,
    # a staff member. The stack is not deployed again (no code, no template change).
    cfn = cloud.client("cloudformation")
    stack_before = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    entry = tmp_path / "mihon-shinkin.json"
    entry.write_text(json.dumps(SHINKIN, ensure_ascii=False), encoding="utf-8")
    shinkin_root = tmp_path / "mihon-shinkin-root.pem"
    registered = demo.issuers_tool(cloud, STACK, "register", "--file", str(entry), "--create-key", "--demo-certificate",
                                   "--root-out", str(shinkin_root))
    assert "registered" in registered.stdout, registered.stdout
    again = demo.issuers_tool(cloud, STACK, "register", "--file", str(entry), "--create-key", "--demo-certificate",
                              "--root-out", str(tmp_path / "unused-root.pem"))
    assert "unchanged" in again.stdout and not (tmp_path / "unused-root.pem").exists(), again.stdout  # idempotent
    listed = {entry["issuer_id"]: entry for entry in http.call("GET", "/issuers")[1]["issuers"]}
    assert listed["mihon-shinkin"]["name"] == "見本信用金庫" and listed["mihon-shinkin"]["kind_label"] == "銀行"
    shinkin_staff = demo.id_token(cloud, deployed["outputs"], demo.add_staff(cloud, deployed["outputs"], "mihon-shinkin", "見本信用金庫 本店営業部の職員"))

    guarantee = _apply(http, tokens, "contract", "mihon-shinkin", "11", "市道今泉線側溝改良工事")
    assert http.call("POST", f"/staff/applications/{guarantee}/issue", surety_staff)[0] == 404
    shinkin_number = _issue(http, shinkin_staff, guarantee)
    assert shinkin_number.startswith("81-")
    verification = _verified(http, tokens, shinkin_number, _key(http, tokens, shinkin_number))
    assert verification["issuer"]["issuer_id"] == "mihon-shinkin"
    pdf = download(verification["pdf_url"])
    trusted = validate_signature(pdf, shinkin_root.read_text(), tsa_root)
    assert trusted.intact and trusted.valid and trusted.trusted
    assert not validate_signature(pdf, roots["toto-hosho"], tsa_root).trusted
    assert _signer_organisation(pdf) == "見本信用金庫"

    stack_after = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack_after.get("LastUpdatedTime") == stack_before.get("LastUpdatedTime")
    assert stack_after["StackStatus"] == stack_before["StackStatus"]

    # Retired, it takes no application; what it issued stays verifiable.
    demo.issuers_tool(cloud, STACK, "retire", "mihon-shinkin")
    body = application_body()
    body.update(product="contract", branch_code="11", issuer_id="mihon-shinkin", deposit_bank=None)
    status, refused = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 422 and refused["errors"][0]["code"] == "issuer_not_taking_applications", refused
    status, still = http.call("GET", f"/desk/guarantees/{shinkin_number}", tokens["orderer"])
    assert status == 200 and still["issuer"]["issuer_id"] == "mihon-shinkin"
