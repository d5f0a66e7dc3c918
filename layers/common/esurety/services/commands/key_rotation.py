"""認証キーの再発行 by staff: a new key for the contract, the old one dead at once.

One conditional write replaces the key's digest and ciphertext, raises `key_generation` and the
revision, and records the audit item; verification compares against the digest, so the old key
fails from that write on. The new key then goes into a new notice of every shown version,
`notices/{number}/v{version:03d}-key{generation}.pdf` (SSE-KMS under the documents key, as the
publisher puts notices), recorded on each version (services/commands/notices.py), and the contractor is
e-mailed that the key was renewed (never the key: its screen decrypts and shows it, the notice
prints it). The answer carries only the generation.

Each request retires the key in force, so a retry without `Idempotency-Key` rotates again (safe:
the contractor always reads the key in force). With the header, a retry of the same rotation
answers it again: the audit item of a rotation keeps the header's digest. The notices are put
after the write; a call that stops in between leaves versions without a notice for the new key (their
notice links answer 409 `notice_not_renewed`, the contractor's screen still shows the key) until
the rotation is retried with its Idempotency-Key (the retry hands those versions to the publisher,
`_complete`) or rotated again.
"""
from __future__ import annotations

from ...domain.catalogue.issuer import Issuer
from ...domain.identifiers import auth_key
from ...domain.japanese import clock
from ...domain.mail import staff_mail
from ...aws import contracts_repository, keys, signing
from ...domain.errors import Conflict
from ...aws.models import ContractItem
from . import audit, contract_actions, notices, outbox, publication
from .. import contracts, issuers


# How many renewed keys a contract remembers: a clerk holds the notice of the last one or two.
RETIRED_KEPT = 5


def _answer(number: str, generation: int) -> dict:
    return {"contract_number": number, "key_generation": int(generation)}


def _earlier(number: str, request: str | None) -> dict | None:
    """The rotation an Idempotency-Key already asked for, if any."""
    if request is None:
        return None
    for item in audit.items(number):
        details = item.details or {}
        if item.action == audit.ROTATE_KEY and details.get("request") == request:
            return _answer(number, details["key_generation"])
    return None


def _renew_notices(contract: ContractItem, key: str, generation: int, issuer: Issuer) -> None:
    """A notice with the new key for every shown version (a contract has a few), each recorded on
    its version. The versions are read after the rotation's write: a version published before it
    is shown here, one published after it reads the new generation itself (services/commands/notices.py)."""
    number = contract.contract_number
    for shown in contracts.shown_chain(contract, contracts_repository.versions(number)):
        target = notices.put(number, shown.record, key, generation, issuer)
        notices.record(shown.record, target, generation)


def _complete(contract: ContractItem, generation: int) -> None:
    """A retry of a rotation finishes what a stopped call left undone: each shown version without a
    notice for the live key is handed to the publisher (which may decrypt the key; staff may not),
    whose delivery of a published version renders and records it (notices.renew); the e-mail is
    keyed by the generation, so putting it again sends it once."""
    if int(contract.key_generation or 1) != generation:
        return  # a later rotation renews the notices itself
    number = contract.contract_number
    for shown in contracts.shown_chain(contract, contracts_repository.versions(number)):
        if (contracts.notice_generation_of(shown.record) or 0) < generation:
            publication.request(number, shown.version)
    _mail(contract, generation, issuers.issuer_of(contract))


def _mail(contract: ContractItem, generation: int, issuer: Issuer) -> None:
    if contract.notify_email:
        content = contract.content
        number = contract.contract_number
        mail = staff_mail.key_renewed(content["contractor"]["name"], number, content["work_name"], content.get("branch_code"), issuer=issuer)
        outbox.put(f"rotate-key#{number}#g{generation}", ContractItem.partition(number), contract.notify_email, mail.subject, mail.body,
                   sender_name=outbox.sender_name(issuer))


def rotate(
    number: str, staff: str | None, idempotency_key: str | None = None, if_match: str | None = None, *, issuer_id: str,
    staff_name: str | None = None,
) -> tuple[dict, bool]:
    """Returns (contract number and new key generation, whether this call rotated)."""
    contract = contract_actions.load(number, issuer_id)
    number = contract.contract_number
    request = contract_actions.request_digest(idempotency_key)
    expected = contract_actions.expected_revision(if_match)
    earlier = _earlier(number, request)
    if earlier is not None:
        _complete(contract, int(earlier["key_generation"]))
        return earlier, False
    if contract.format != "electronic" or not contract.key_digest:
        raise Conflict("paper_has_no_auth_key", "a paper guarantee has no auth key", current=contract_actions.current(contract))
    records = contracts_repository.versions(number)
    contract_actions.check_revision(contract, expected, records)
    # 503 before the key is renewed when the issuer's key cannot sign the new notices: a renewed key
    # without its notice would leave the contractor nothing to hand over.
    issuer = issuers.issuer_of(contract)
    signing.check(issuer)

    generation = int(contract.key_generation or 1)
    revision = contracts_repository.revision(contract)
    key = auth_key.generate()
    now = clock.now()
    entry = audit.for_contract(
        number, audit.ROTATE_KEY, revision + 1, staff, now, staff_issuer_id=issuer_id, staff_name=staff_name, key_generation=generation + 1, request=request
    )
    rotated = contracts_repository.write_revision(
        contract,
        [
            ContractItem.key_digest.set(keys.digest(key)),
            ContractItem.key_ciphertext.set(keys.encrypt(key, number)),
            ContractItem.key_generation.set(generation + 1),
            # The key renewed away is remembered (as its digest) so that its typist is told.
            ContractItem.retired_key_digests.set((list(contract.retired_key_digests or []) + [contract.key_digest])[-RETIRED_KEPT:]),
        ],
        ContractItem.key_generation == generation,
        creates=[entry],
    )
    if not rotated:
        del key
        earlier = _earlier(number, request)
        if earlier is not None:
            return earlier, False  # a concurrent retry of this rotation won
        raise contract_actions.changed_meanwhile(number, issuer_id) from None

    _renew_notices(contract, key, generation + 1, issuer)
    del key
    _mail(contract, generation + 1, issuer)
    return _answer(number, generation + 1), True
