"""The auth-key notice of each shown version: rendered for one key generation, put once, and
recorded on its version (`notice_s3_key`, `notice_generation`).

The record, not the bucket, says which notice a version has: the contractor's link serves the
recorded notice while its generation is the contract's live one (asking S3 whether an object
exists answers 403, not 404, to a role that may not list the bucket). Two writers put notices:
- the publisher, with the generation it read, at publication; it records that notice with the
  write that publishes the version, then reads the generation again (`renew`);
- a key rotation, for every shown version, after its write raised the generation.
Either order covers a version: a rotation that commits before the publisher's second read is
seen by it; one that commits after reads the versions after its own write, so it sees the
version published. Of two records for one version the later generation stands (a conditional
write), so a slow writer never puts a dead key back over the live one.

Reading them (which generation a version's notice prints, the contractor's link or 409
`notice_not_renewed`) is services/contracts.py: `notice_generation_of`, `current_notice`.
"""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from ...aws import bucket_keys, contracts_repository, keys, signing, storage
from ...aws.models import VersionItem, condition_failed
from ...domain.guarantee.certificates import render_input
from ...config import settings
from .. import contracts, issuers

def put(number: str, version: VersionItem, key: str, generation: int, issuer=None) -> str:
    """Render `version`'s notice printing `key` (of `generation`), signed by `issuer` (the
    contract's, services/issuers.issuer_of; read when not given), and put it once; returns its S3 key.

    The key is printed: the bytes are as secret as it (SSE-KMS under the documents key, never logged).
    """
    # Imported here: the contractor's API reads the records of notices and renders none (its cold
    # start loads no renderer).
    from ...documents.notice import render_notice  # noqa: PLC0415

    target = bucket_keys.notice(number, int(version.version), generation)
    if issuer is None:
        issuer = issuers.issuer_of(contracts_repository.get(number))
    notice = signing.sign_pdf(render_notice(render_input(version), key, issuer), issuer=issuer)
    # The writer may not read notices: where one is there already (a repeated put, or a lost life's
    # with its old key), this record's goes to its own key beside it (storage.create_pdf).
    stored, _ = storage.create_pdf(target, notice, read_back=False, kms_key_id=settings().notice_kms_key_id, owner=version.record_id)
    return stored.key if stored else target


def recording(target: str, generation: int) -> list:
    """The update actions that record a notice on its version (with the publishing write)."""
    return [VersionItem.notice_s3_key.set(target), VersionItem.notice_generation.set(int(generation))]


def record(version: VersionItem, target: str, generation: int) -> None:
    """Record a notice put for `generation`, unless one of the same or a later generation is recorded."""
    newer = VersionItem.notice_generation.does_not_exist() | (VersionItem.notice_generation < int(generation))
    try:
        version.update(actions=recording(target, generation), condition=newer)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        version.refresh(consistent_read=True)


def renew(number: str, version: VersionItem) -> None:
    """After a publication: when the key was rotated since the generation its notice prints was
    read, put and record the notice for the live key (a later rotation sees the version published)."""
    contract = contracts_repository.get(number)
    generation = int(contract.key_generation or 1)
    if not contract.key_ciphertext or (contracts.notice_generation_of(version) or 0) >= generation:
        return
    key = keys.decrypt(contract.key_ciphertext, number)
    target = put(number, version, key, generation, issuers.issuer_of(contract))
    del key
    record(version, target, generation)
