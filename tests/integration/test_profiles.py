"""The company profile (GET/PUT /profile) that prefills every new application on the Net Desk:
validated as the application's same fields (every problem in one 422, nothing stored), one per
company (another company never sees it), the orderer last applied to remembered, and the short
申込番号 (`reference`) a clerk reads over the phone; an application can be read again as sent."""
from __future__ import annotations

import re

from conftest import CONTRACTOR_A, CONTRACTOR_B, STAFF, application_body
from esurety.aws.models import ProfileItem
from esurety.domain import error_codes

PROFILE = {
    "contractor": {"name": "さくら建設 株式会社", "address": "栃木県宇都宮市本町1-2-3", "jv_name": None},
    "deposit_bank": "みどり銀行 本町支店",
    "notify_email": "keiri@sakura-kensetsu.example",
}
EMPTY = {"contractor": None, "deposit_bank": None, "notify_email": None, "last_orderer_id": None, "updated_at": None}


def _profiles() -> int:
    return sum(1 for company in ("company-a", "company-b") if _stored(company))


def _stored(company_id: str) -> bool:
    try:
        ProfileItem.get(*ProfileItem.key(company_id))
        return True
    except ProfileItem.DoesNotExist:
        return False


def test_a_company_without_a_profile_reads_an_empty_one(api):
    assert api.get("/profile", CONTRACTOR_A) == (200, EMPTY)


def test_a_saved_profile_is_read_back_and_a_repeat_changes_nothing(api):
    status, saved = api.call("PUT", "/profile", CONTRACTOR_A, PROFILE)
    assert status == 200, saved
    assert saved["contractor"]["name"] == "さくら建設 株式会社"
    assert saved["deposit_bank"] == "みどり銀行 本町支店" and saved["notify_email"] == "keiri@sakura-kensetsu.example"
    assert saved["updated_at"].startswith("2024-04-01T10:00:00+09:00")
    assert api.get("/profile", CONTRACTOR_A) == (200, saved)
    assert api.call("PUT", "/profile", CONTRACTOR_A, PROFILE) == (200, saved)
    # An overwrite: a field sent as null (or left out) is gone.
    status, smaller = api.call("PUT", "/profile", CONTRACTOR_A, {**PROFILE, "deposit_bank": None})
    assert status == 200 and smaller["deposit_bank"] is None and smaller["contractor"] == saved["contractor"]


def test_full_width_and_spaces_are_taken_as_an_application_takes_them(api):
    body = {**PROFILE, "notify_email": "ｋｅｉｒｉ＠ｓａｋｕｒａ－ｋｅｎｓｅｔｓｕ．ｅｘａｍｐｌｅ",
            "contractor": {"name": "  さくら建設   株式会社 ", "address": "栃木県宇都宮市本町1-2-3"}}
    status, saved = api.call("PUT", "/profile", CONTRACTOR_A, body)
    assert status == 200, saved
    assert saved["notify_email"] == "keiri@sakura-kensetsu.example"
    assert saved["contractor"] == {"name": "さくら建設 株式会社", "address": "栃木県宇都宮市本町1-2-3", "jv_name": None}


def test_every_problem_comes_in_one_answer_and_nothing_is_stored(api):
    body = {"contractor": {"name": "", "address": "栃木県" * 20}, "deposit_bank": "銀行\u200b", "notify_email": "経理@example", "fax": "028"}
    status, answer = api.call("PUT", "/profile", CONTRACTOR_A, body)
    assert status == 422
    assert answer["message"] == "入力内容に誤りがあります。"
    assert sorted((e["field"], e["code"]) for e in answer["errors"]) == [
        ("contractor.address", "too_long"),
        ("contractor.name", "empty"),
        ("deposit_bank", "unprintable_character"),
        ("fax", "unknown_field"),
        ("notify_email", "email_local_not_ascii"),
    ]
    assert all(e["code"] in error_codes.MESSAGES for e in answer["errors"])
    assert _profiles() == 0
    assert api.get("/profile", CONTRACTOR_A) == (200, EMPTY)


def test_tenants_never_meet(api):
    api.call("PUT", "/profile", CONTRACTOR_A, PROFILE)
    assert api.get("/profile", CONTRACTOR_B) == (200, EMPTY)
    api.call("PUT", "/profile", CONTRACTOR_B, {"contractor": {"name": "みどり工業 株式会社", "address": "栃木県足利市1-1"}})
    assert api.get("/profile", CONTRACTOR_A)[1]["contractor"]["name"] == "さくら建設 株式会社"
    assert api.get("/profile", CONTRACTOR_B)[1]["contractor"]["name"] == "みどり工業 株式会社"
    # Only contractors have a profile; a contractor without a company has none.
    assert api.get("/profile", STAFF)[0] == 403
    assert api.call("PUT", "/profile", STAFF, PROFILE)[0] == 403
    assert api.get("/profile", {"cognito:groups": "[contractor]", "sub": "x"})[0] == 403


def test_the_orderer_last_applied_to_is_remembered_and_kept_by_a_save(api):
    api.call("PUT", "/profile", CONTRACTOR_A, PROFILE)
    assert api.post("/applications", CONTRACTOR_A, application_body(orderer_id="ashikaga-city"))[0] == 201
    assert api.get("/profile", CONTRACTOR_A)[1]["last_orderer_id"] == "ashikaga-city"
    assert api.post("/applications", CONTRACTOR_A, application_body())[0] == 201
    assert api.get("/profile", CONTRACTOR_A)[1]["last_orderer_id"] == "tochigi-pref"
    _, saved = api.call("PUT", "/profile", CONTRACTOR_A, PROFILE)
    assert saved["last_orderer_id"] == "tochigi-pref" and saved["contractor"]["name"] == "さくら建設 株式会社"
    # A refused application remembers nothing; another company's is its own.
    assert api.post("/applications", CONTRACTOR_A, application_body(orderer_id="kanuma-city", deposit_bank=None))[0] == 422
    assert api.get("/profile", CONTRACTOR_A)[1]["last_orderer_id"] == "tochigi-pref"
    assert api.get("/profile", CONTRACTOR_B)[1]["last_orderer_id"] is None


def test_the_application_number_is_short_and_the_application_reads_again_as_sent(api):
    status, created = api.post("/applications", CONTRACTOR_A, application_body(work={**application_body()["work"], "contract_date": "令和6年4月1日"}))
    assert status == 201, created
    reference = created["reference"]
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", reference)
    assert reference.replace("-", "").lower() == created["application_id"][:8]
    status, again = api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)
    assert status == 200
    assert again["reference"] == reference and again["status"] == "submitted" and again["kind"] == "new"
    assert again["request"]["work"]["contract_date"] == "2024-04-01"  # as stored: ISO
    assert again["request"]["contractor"]["name"] == "丸山建設 株式会社"
    assert again["submitted_at"].startswith("2024-04-01T10:00:00")
    assert [row["reference"] for row in api.get("/applications", CONTRACTOR_A)[1]["applications"]] == [reference]
    assert api.get(f"/applications/{created['application_id']}", CONTRACTOR_B)[0] == 404


def test_a_rejected_application_reads_again_with_its_reason(api):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    api.post(f"/staff/applications/{created['application_id']}/reject", STAFF, {"reason": "預託金融機関の口座が確認できません"})
    status, again = api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)
    assert status == 200
    assert again["status"] == "rejected" and again["reject_reason"] == "預託金融機関の口座が確認できません"
    # Re-applied as read (the request is an application's body as it stands): a new application.
    status, second = api.post("/applications", CONTRACTOR_A, again["request"])
    assert status == 201, second
    assert second["application_id"] != created["application_id"]
