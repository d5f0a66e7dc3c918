"""The contractor chooses the issuer: the public registry, the application's issuer and its rules,
numbers and counters per issuer, the issuer named to the contractor, the orderer and the desk."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import boto3
import pytest

from conftest import (
    CONTRACTOR_A,
    ORDERER_TOCHIGI,
    STAFF,
    application_body,
    interim_body,
    s3_put_event,
    LambdaContext,
)
from support.flows import JST, at, pdf_text
from support.issuer_keys import give_signing_key, seed_with_keys
from esurety.aws.models import ApplicationItem, ContractItem, CounterItem, VersionItem
from esurety.config import settings
from esurety.domain.catalogue import fees
from esurety.domain.catalogue.issuer import Branch, IssuerStatus
from esurety.domain.identifiers import contract_number
from esurety.services import issuers

# Staff of the insurer. Staff scoping reads `custom:issuer_id`; until then any staff may issue, and
# these claims already say whose staff they are.
STAFF_MIHON = {"cognito:groups": "[staff]", "sub": "staff-mihon", "custom:issuer_id": "mihon-sonpo"}
STAFF_KENSA = {"cognito:groups": "[staff]", "sub": "staff-kensa", "custom:issuer_id": "kensa-hosho"}
MIHON = "見本損害保険株式会社"
TOTO = "東都建設保証株式会社"
# 栃木県 accepts insurers' 契約保証 from 2025-12-01 and banks' from 2026-04-01 (data/orderers.json).
WINTER = datetime(2026, 1, 15, 10, 0, tzinfo=JST)


@pytest.fixture
def registry(cloud, monkeypatch):
    """The issuer registry seeded as `make run` seeds it (the insurer and the bank with keys of their
    own), on a day 栃木県 takes insurers' 契約保証."""
    seed_with_keys()
    at(monkeypatch, WINTER)


def contract_body(issuer_id: str | None = "mihon-sonpo", branch_code: str = "41", **overrides) -> dict:
    """A 契約保証 for 栃木県, applied for in January 2026 (1/10 of the price, to after the works)."""
    body = application_body("contract", branch_code=branch_code, **overrides)
    body["work"] = {**body["work"], "contract_date": "2026-01-09", "period_start": "2026-01-13", "period_end": "2026-12-18"}
    body["guarantee"] = {"amount": 5_000_000, "deadline": "2027-01-29"}
    if issuer_id is not None:
        body["issuer_id"] = issuer_id
    return body


def advance_body(**overrides) -> dict:
    body = application_body("advance_payment", **overrides)
    body["work"] = {**body["work"], "contract_date": "2026-01-09", "period_start": "2026-01-13", "period_end": "2026-12-18"}
    body["guarantee"] = {"amount": 20_000_000, "deadline": "2027-01-29"}
    return body


def apply(api, body: dict) -> str:
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, created
    return created["application_id"]


def issue(api, application_id: str, staff: dict = STAFF) -> str:
    status, issued = api.post(f"/staff/applications/{application_id}/issue", staff)
    assert status == 202, issued
    return issued["contract_number"]


def published(api, handlers, body: dict, staff: dict = STAFF) -> tuple[str, str]:
    """(number, auth key) of an issued and published electronic guarantee."""
    number = issue(api, apply(api, body), staff)
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf", "2026-01-15T01:00:00.000Z"), LambdaContext())
    status, detail = api.get(f"/contracts/{number}", CONTRACTOR_A)
    assert status == 200 and detail["auth_key"], detail
    return number, detail["auth_key"]


def problems(answer: dict) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in answer["errors"]]


def nothing_stored() -> bool:
    return not list(ApplicationItem.scan(ApplicationItem.sk == ApplicationItem.SK))


# ----------------------------------------------------------------------------- the registry


def test_anyone_lists_the_issuers_and_a_retired_one_is_shown_as_retired(api, registry):
    retired = dataclasses.replace(issuers.get_issuer("mirai-bank"), status=IssuerStatus.RETIRED)
    issuers.register(retired)
    for claims in (None, CONTRACTOR_A, ORDERER_TOCHIGI, STAFF):
        status, body = api.get("/issuers", claims)
        assert status == 200, body
    listed = {entry["issuer_id"]: entry for entry in body["issuers"]}
    assert set(listed) == {"toto-hosho", "mihon-sonpo", "mirai-bank"}
    assert listed["mihon-sonpo"]["name"] == MIHON and listed["mihon-sonpo"]["kind_label"] == "損害保険会社"
    assert listed["mihon-sonpo"]["products"] == [{"product": "contract", "document": "performance_bond"}]
    assert listed["mirai-bank"]["status"] == "retired" and listed["toto-hosho"]["status"] == "active"
    assert "signing" not in listed["toto-hosho"] and "fee_rates" not in listed["mihon-sonpo"]


# ----------------------------------------------------------------------------- an insurer's 契約保証


def test_an_insurers_contract_guarantee_is_numbered_priced_and_named_as_the_insurers(api, handlers, registry, sent_mail):
    application_id = apply(api, contract_body())
    assert ApplicationItem.get(*ApplicationItem.key(application_id)).issuer_id == "mihon-sonpo"
    number = issue(api, application_id, STAFF_MIHON)
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf", "2026-01-15T01:00:00.000Z"), LambdaContext())

    assert number.startswith("51-4107") and contract_number.parse(number).issuer_code == "51"  # 令和7年度, 宇都宮支店
    contract = ContractItem.get(*ContractItem.key(number))
    assert contract.issuer_id == "mihon-sonpo" and contract.branch_code == "41"
    # Its fee is the insurer's table's, not the packaged one's.
    version = VersionItem.get(*VersionItem.key(number, 1))
    mine = fees.quote("contract", 5_000_000, "2026-01-15", "2027-01-29", fees.table_of(issuers.get_issuer("mihon-sonpo"))).fee
    packaged = fees.quote("contract", 5_000_000, "2026-01-15", "2027-01-29", fees.packaged_fee_table()).fee
    assert int(version.fee) == mine != packaged
    # The documents print the insurer and its branch.
    certificate = pdf_text(version.s3_key)
    assert MIHON in certificate and "宇都宮支店" in certificate and TOTO not in certificate

    named = {"issuer_id": "mihon-sonpo", "name": MIHON, "kind": "insurer", "kind_label": "損害保険会社"}
    assert api.get(f"/applications/{application_id}", CONTRACTOR_A)[1]["issuer"] == named
    assert [row["issuer"] for row in api.get("/applications", CONTRACTOR_A)[1]["applications"]] == [named]
    assert [row["issuer"] for row in api.get("/contracts", CONTRACTOR_A)[1]["contracts"]] == [named]
    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert detail["issuer"] == named
    status, verified = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": detail["auth_key"]})
    assert status == 200 and verified["issuer"] == named
    assert api.get(f"/staff/contracts/{number}", STAFF_MIHON)[1]["issuer"] == named
    queue = api.get("/staff/applications", STAFF_MIHON, query={"status": "issued"})[1]["applications"]
    assert [row["issuer"]["name"] for row in queue] == [MIHON]

    # The e-mail is the insurer's: its name as sender, its branch in the signature.
    mail = next(m for m in sent_mail() if number in m.body)
    assert "=?utf-8?" in mail.source.lower() and mail.source.endswith(f"<{settings().mail_from}>")
    assert MIHON in mail.body and "宇都宮支店" in mail.body and TOTO not in mail.body


def test_two_issuers_count_their_own_numbers_on_the_same_branch_code(api, registry):
    # A fourth issuer, registered as data: a surety whose branch code 31 is also the first surety's.
    toto = issuers.get_issuer("toto-hosho")
    give_signing_key(dataclasses.replace(
        toto, issuer_id="kensa-hosho", company="見本検査保証株式会社", number_code="61",
        branches=(Branch(code="31", name="宇都宮支店", tel="028-000-0000"),),
    ))
    first = issue(api, apply(api, contract_body("toto-hosho", "31")))
    other = issue(api, apply(api, contract_body("kensa-hosho", "31")), STAFF_KENSA)
    assert first.startswith("3107") and other.startswith("61-3107")
    assert contract_number.parse(first).serial == contract_number.parse(other).serial == 1
    assert first != other
    assert ContractItem.get(*ContractItem.key(other)).issuer_id == "kensa-hosho"
    assert CounterItem.get(*CounterItem.key("31", 2025, "contract")).value == 1
    assert CounterItem.get(*CounterItem.key("31", 2025, "contract", "kensa-hosho")).value == 1


def test_a_record_written_before_there_were_several_issuers_is_the_first_suretys(api, registry):
    application_id = apply(api, advance_body())
    number = issue(api, application_id)
    for item in (ApplicationItem.get(*ApplicationItem.key(application_id)), ContractItem.get(*ContractItem.key(number))):
        item.update(actions=[type(item).issuer_id.remove()])
    assert ContractItem.get(*ContractItem.key(number)).issuer_id is None
    first = {"issuer_id": "toto-hosho", "name": TOTO, "kind": "surety", "kind_label": "保証事業会社"}
    assert api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["issuer"] == first
    assert api.get(f"/applications/{application_id}", CONTRACTOR_A)[1]["issuer"] == first
    assert api.get("/contracts", CONTRACTOR_A)[1]["contracts"][0]["issuer"] == first


def test_without_an_issuer_an_application_goes_to_the_first_surety(api, registry):
    application_id = apply(api, advance_body())
    assert ApplicationItem.get(*ApplicationItem.key(application_id)).issuer_id == "toto-hosho"
    number = issue(api, application_id)
    assert not number.startswith("51-") and ContractItem.get(*ContractItem.key(number)).issuer_id == "toto-hosho"


# ----------------------------------------------------------------------------- refused, nothing stored


@pytest.mark.parametrize("body, expected", [
    (contract_body("nai-hosho"), [("issuer_id", "unknown_issuer")]),
    (contract_body("MIHON-SONPO", branch_code="31"), [("branch_code", "unknown_branch")]),  # the insurer's branch is 41
    (advance_body(issuer_id="mihon-sonpo", branch_code="41"), [("issuer_id", "issuer_not_offering_product")]),
    # 栃木県 takes banks' 契約保証 from 2026-04-01; 足利市 no insurer's at all
    (contract_body("mirai-bank", branch_code="21"), [("issuer_id", "issuer_kind_not_accepted")]),
    (contract_body(orderer_id="ashikaga-city"), [("issuer_id", "issuer_kind_not_accepted")]),
    (contract_body(branch_code="4"), [("branch_code", "not_branch_code")]),
])
def test_an_issuer_that_cannot_take_the_application_is_refused_and_nothing_is_stored(api, registry, body, expected):
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422 and problems(answer) == expected, answer
    assert nothing_stored()


def test_a_suspended_issuer_takes_no_application_and_every_problem_is_listed_at_once(api, registry):
    issuers.register(dataclasses.replace(issuers.get_issuer("mihon-sonpo"), status=IssuerStatus.SUSPENDED))
    body = contract_body(branch_code="31")
    body["guarantee"]["amount"] = "五百万"
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422
    assert set(problems(answer)) == {
        ("guarantee.amount", "not_yen_amount"), ("issuer_id", "issuer_not_taking_applications"), ("branch_code", "unknown_branch"),
    }
    assert any(e["code"] == "issuer_not_taking_applications" for e in answer["errors"])
    assert nothing_stored()


def test_an_application_waiting_when_its_issuer_is_suspended_cannot_be_issued(api, registry):
    application_id = apply(api, contract_body())
    issuers.register(dataclasses.replace(issuers.get_issuer("mihon-sonpo"), status=IssuerStatus.SUSPENDED))
    status, answer = api.post(f"/staff/applications/{application_id}/issue", STAFF_MIHON)
    assert status == 409 and answer["code"] == "cannot_issue" and "takes no applications" in answer["reason"], answer
    assert not list(ContractItem.scan(ContractItem.sk == ContractItem.SK))


def test_a_paper_guarantee_for_an_orderer_outside_the_registry_may_come_from_a_bank(api, registry):
    body = contract_body("mirai-bank", branch_code="21", format="paper", orderer_id=None,
                         orderer={"name": "那須町", "beneficiary_name": "那須町長"})
    number = issue(api, apply(api, body), {**STAFF, "sub": "staff-mirai", "custom:issuer_id": "mirai-bank"})
    assert number.startswith("71-2107") and ContractItem.get(*ContractItem.key(number)).issuer_id == "mirai-bank"


def test_a_change_and_an_interim_follow_their_contracts_issuer(api, handlers, registry):
    number, _ = published(api, handlers, advance_body())
    # 変更: the contract's issuer; another one named is refused
    change = {"guarantee": {"amount": 22_000_000}, "reason": "前払金の追加請求（増額）のため"}
    status, answer = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, {**change, "issuer_id": "mihon-sonpo"})
    assert status == 422 and problems(answer) == [("issuer_id", "not_contract_issuer")]
    status, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, {**change, "issuer_id": "toto-hosho"})
    assert status == 201, created
    assert ApplicationItem.get(*ApplicationItem.key(created["application_id"])).issuer_id == "toto-hosho"
    # 中間前払金保証: the issuer of its 前払金保証, named or not
    interim = interim_body(api, number)
    for field in ("work", "guarantee"):
        interim[field] = {**advance_body()[field], **({"amount": 10_000_000} if field == "guarantee" else {})}
    status, answer = api.post("/applications", CONTRACTOR_A, {**interim, "issuer_id": "mihon-sonpo"})
    assert status == 422 and ("issuer_id", "not_contract_issuer") in problems(answer), answer
    application_id = apply(api, interim)
    assert ApplicationItem.get(*ApplicationItem.key(application_id)).issuer_id == "toto-hosho"


# ----------------------------------------------------------------------------- the orderer's desk


def test_the_desk_names_each_guarantees_issuer_and_filters_by_it(api, handlers, registry):
    toto_number, toto_key = published(api, handlers, advance_body())
    mihon_number, mihon_key = published(api, handlers, contract_body(), STAFF_MIHON)
    for number, key in ((toto_number, toto_key), (mihon_number, mihon_key)):  # presented by verification
        assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key})[0] == 200

    status, page = api.get("/desk/guarantees", ORDERER_TOCHIGI)
    assert status == 200
    assert {row["contract_number"]: row["issuer"]["name"] for row in page["items"]} == {toto_number: TOTO, mihon_number: MIHON}
    assert {row["issuer_name"] for row in page["items"]} == {TOTO, MIHON}
    status, page = api.get("/desk/guarantees", ORDERER_TOCHIGI, query={"issuer_id": "mihon-sonpo"})
    assert status == 200 and [row["contract_number"] for row in page["items"]] == [mihon_number]
    status, page = api.get("/desk/guarantees", ORDERER_TOCHIGI, query={"issuer_id": "nai-hosho"})
    assert status == 422 and problems(page) == [("issuer_id", "unknown_issuer")]

    status, one = api.get(f"/desk/guarantees/{mihon_number}", ORDERER_TOCHIGI)
    assert status == 200 and one["issuer"]["name"] == MIHON and one["desk"]["issuer"]["kind"] == "insurer"

    status, export = api.get("/desk/export", ORDERER_TOCHIGI, query={"encoding": "utf-8", "issuer_id": "toto-hosho"})
    assert status == 200 and export["rows"] == 1, export
    listed = boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name, Prefix="exports/")
    text = boto3.client("s3").get_object(Bucket=settings().bucket_name, Key=listed["Contents"][0]["Key"])["Body"].read().decode("utf-8-sig")
    assert toto_number in text and TOTO in text and mihon_number not in text


def test_a_fourth_issuer_registered_as_data_with_its_key_issues_and_is_verified(api, handlers, registry, monkeypatch):
    """An issuer onboarded after the deployment (a 信用金庫 as a bank): data and a key, nothing else."""
    at(monkeypatch, datetime(2026, 5, 11, 10, 0, tzinfo=JST))  # 栃木県 takes banks' 契約保証 from 2026-04-01
    bank = issuers.get_issuer("mirai-bank")
    give_signing_key(dataclasses.replace(
        bank, issuer_id="mihon-shinkin", company="見本信用金庫", number_code="81", signing=None,
        branches=(Branch(code="11", name="本店営業部", tel="028-000-3000"),),
    ))
    body = contract_body("mihon-shinkin", "11")
    staff = {**STAFF, "sub": "staff-shinkin", "custom:issuer_id": "mihon-shinkin"}
    number, key = published(api, handlers, body, staff)
    assert number.startswith("81-11")
    status, verified = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key})
    assert status == 200, verified
    assert verified["issuer"]["name"] == "見本信用金庫"
