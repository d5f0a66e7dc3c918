"""認証キーの再発行 by staff: a new key for the contract, the old one dead at once.

One conditional write replaces the key's digest and ciphertext, raises `key_generation` and the
revision, and records the audit item; verification compares against the digest, so the old key
fails from that write on. The new key then goes into a new notice of the version in force,
`notices/{number}/v{version:03d}-key{generation}.pdf` (SSE-KMS under the documents key, as the
publisher puts notices), and the contractor is e-mailed that the key was renewed (never the key:
its screen decrypts and shows it, the notice prints it). The answer carries only the generation.

Each request retires the key in force, so a retry without `Idempotency-Key` rotates again (safe:
the contractor always reads the key in force). With the header, a retry of the same rotation
answers it again: the audit item of a rotation keeps the header's digest. The notice is put after
the write; a call that stops in between leaves the new key without a notice (the contractor's
screen still shows it), and rotating again makes a complete one.
"""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from .. import auth_key, clock, staff_mail
from ..aws import keys, signing, storage
from ..certificates import render_input
from ..config import settings
from ..documents.notice import render_notice
from ..errors import Conflict
from ..aws.models import ContractItem, transact_write, transaction_lost
from . import audit, contract_actions, contracts, outbox


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


def rotate(number: str, staff: str | None, idempotency_key: str | None = None, if_match: str | None = None) -> tuple[dict, bool]:
    """Returns (contract number and new key generation, whether this call rotated)."""
    contract = contract_actions.load(number)
    number = contract.contract_number
    request = contract_actions.request_digest(idempotency_key)
    expected = contract_actions.expected_revision(if_match)
    earlier = _earlier(number, request)
    if earlier is not None:
        return earlier, False
    if contract.format != "electronic" or not contract.key_digest:
        raise Conflict("paper_has_no_auth_key", "a paper guarantee has no auth key", current=contract_actions.current(contract))
    records = contracts.versions(number)
    contract_actions.check_revision(contract, expected, records)

    generation = int(contract.key_generation or 1)
    revision = int(contract.revision or 0)
    key = auth_key.generate()
    now = clock.now()
    entry = audit.for_contract(number, audit.ROTATE_KEY, revision + 1, staff, now, key_generation=generation + 1, request=request)
    try:
        with transact_write() as transaction:
            transaction.update(
                contract,
                actions=[
                    ContractItem.key_digest.set(keys.digest(key)),
                    ContractItem.key_ciphertext.set(keys.encrypt(key, number)),
                    ContractItem.key_generation.set(generation + 1),
                    ContractItem.revision.set(revision + 1),
                ],
                condition=(ContractItem.revision == revision) & (ContractItem.key_generation == generation),
            )
            transaction.save(entry, condition=type(entry).pk.does_not_exist())
    except TransactWriteError as error:
        if not transaction_lost(error):
            raise
        del key
        earlier = _earlier(number, request)
        if earlier is not None:
            return earlier, False  # a concurrent retry of this rotation won
        raise contract_actions.changed_meanwhile(number) from None

    chain = contracts.shown_chain(contract, records)
    if chain:  # before the first publication the publisher renders the notice with the key in force
        record = chain[-1].record
        notice = signing.sign_pdf(render_notice(render_input(record), key))
        target = storage.notice_key(number, int(record.version), generation + 1)
        storage.create_pdf(target, notice, read_back=False, kms_key_id=settings().notice_kms_key_id)
        del notice
    del key
    if contract.notify_email:
        content = contract.content
        mail = staff_mail.key_renewed(content["contractor"]["name"], number, content["work_name"], content.get("branch_code"))
        outbox.put(f"rotate-key#{number}#g{generation + 1}", ContractItem.key(number)[0], contract.notify_email, mail.subject, mail.body)
    return _answer(number, generation + 1), True
