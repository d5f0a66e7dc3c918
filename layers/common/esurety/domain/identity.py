"""Who is calling: read from the JWT claims the HTTP API's Cognito authorizer passed on."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .catalogue.issuer import DEFAULT_ISSUER_ID
from .errors import Forbidden

CONTRACTOR, STAFF, ORDERER = "contractor", "staff", "orderer"


@dataclass(frozen=True)
class Caller:
    subject: str
    groups: frozenset[str]
    company_id: str | None = None
    orderer_id: str | None = None
    # An orderer user of one department (custom:department_id, immutable): sees that department's
    # desk only; None: the orderer's whole desk.
    department_id: str | None = None
    # A staff member's issuer as the token carries it (custom:issuer_id of the staff pool,
    # immutable); read `staff_issuer`, which gives staff created without it their issuer.
    issuer_id: str | None = None
    # The person's display name (the standard `name` attribute, in the ID token): audit items and
    # approvals record it at the moment of the decision, so a screen shows 「栃木 花子」, not a UUID.
    name: str | None = None

    @property
    def staff_issuer(self) -> str:
        """The issuer whose applications, contracts and audit this staff member sees and acts on.

        Staff created before the platform had several issuers carry no custom:issuer_id, and an
        immutable attribute cannot be given to an existing user afterwards: they were all the
        staff of the one surety there was, the default issuer, and stay so. Every staff check
        reads the issuer here, so that rule is written once."""
        return self.issuer_id or DEFAULT_ISSUER_ID

    def serves(self, issuer_id: str | None) -> bool:
        """Whether a stored record of `issuer_id` is this staff member's issuer's."""
        return self.staff_issuer == record_issuer(issuer_id)

    def require(self, group: str) -> "Caller":
        if group not in self.groups:
            raise Forbidden(f"only {group} may do this")
        if group == CONTRACTOR and not self.company_id:
            raise Forbidden("contractor without custom:company_id")
        if group == ORDERER and not self.orderer_id:
            raise Forbidden("orderer without custom:orderer_id")
        return self


def record_issuer(issuer_id: str | None) -> str:
    """The issuer of a stored application, contract or audit item by its issuer_id: a record without
    one was written before there were several issuers, and is the default issuer's (as
    services/issuers.issuer_of reads it)."""
    return issuer_id or DEFAULT_ISSUER_ID


def _groups(value) -> frozenset[str]:
    # API Gateway renders a list claim as the string "[a b]"; a Lambda test event may carry a list.
    if isinstance(value, (list, tuple)):
        return frozenset(str(v) for v in value)
    if not value:
        return frozenset()
    return frozenset(part for part in re.split(r"[\s,\[\]\"]+", str(value)) if part)


def from_event(event: dict) -> Caller:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims") or {}
    return Caller(
        subject=str(claims.get("sub", "")),
        groups=_groups(claims.get("cognito:groups")),
        company_id=claims.get("custom:company_id") or None,
        orderer_id=claims.get("custom:orderer_id") or None,
        department_id=claims.get("custom:department_id") or None,
        issuer_id=claims.get("custom:issuer_id") or None,
        name=(str(claims.get("name")).strip() or None) if claims.get("name") else None,
    )
