"""Who is calling, read from the claims API Gateway's JWT authorizer passes on: a staff member's issuer."""
from __future__ import annotations

from esurety.domain.identity import STAFF, Caller, from_event, record_issuer


def _event(claims: dict) -> dict:
    return {"requestContext": {"authorizer": {"jwt": {"claims": claims}}}}


def test_a_staff_members_issuer_comes_from_the_staff_pools_attribute():
    caller = from_event(_event({"cognito:groups": "[staff]", "sub": "s-1", "custom:issuer_id": "mihon-sonpo"}))
    assert caller.require(STAFF).issuer_id == caller.staff_issuer == "mihon-sonpo"
    assert caller.serves("mihon-sonpo")
    assert not caller.serves("toto-hosho") and not caller.serves(None)  # a record from before the registry is the default issuer's


def test_staff_without_the_attribute_are_the_default_issuers():
    """Staff created before there were several issuers carry no custom:issuer_id (an immutable
    attribute cannot be added to them): they are the first surety's staff, as they always were."""
    for claims in ({"cognito:groups": "[staff]", "sub": "s-1"}, {"cognito:groups": "[staff]", "sub": "s-1", "custom:issuer_id": ""}):
        caller = from_event(_event(claims))
        assert caller.issuer_id is None and caller.staff_issuer == "toto-hosho"
        assert caller.serves(None) and caller.serves("toto-hosho") and not caller.serves("mirai-bank")


def test_a_record_without_an_issuer_is_the_default_issuers():
    assert record_issuer(None) == "toto-hosho" and record_issuer("mirai-bank") == "mirai-bank"


def test_other_groups_carry_no_issuer():
    caller = Caller("u-1", frozenset({"contractor"}), company_id="company-a")
    assert caller.issuer_id is None
