"""PAdES signatures on the PDFs: pyHanko signs, AWS KMS makes the signature value.

`sign_pdf(pdf)` returns the document with one invisible approval signature (SubFilter
ETSI.CAdES.detached, SHA-256), added by pyHanko's `PdfSigner` as an incremental update, so the
signed byte range covers the whole file. The level depends on what is configured:

- **B-B** without a time-stamping authority: the signature alone. Once the signing certificate
  expires or is revoked, nothing proves that the signature was made while it was valid.
- **B-T** with `TIMESTAMP_URL`: pyHanko adds an RFC 3161 signature timestamp from that TSA
  (an unsigned attribute over the signature value), so the time of signing is attested by a
  third party.
- **B-LT** when, besides, the certificate parameter also holds the trust anchors (self-signed
  root certificates of the signing CA and of the TSA): pyHanko validates both chains, fetches
  the revocation information the CAs publish (CRL, OCSP) and embeds chains and revocation data
  in the document security store (DSS) of the same revision, so the signature covers them too.

This module adds only what pyHanko cannot know: the `Signer` whose raw signature is `kms:Sign`
with the configured key, and where its configuration comes from. (pyHanko's
`async_sign_raw` hands over the signed attributes, a few hundred bytes, which go to KMS with
MessageType RAW, so KMS hashes them itself: moto would hash a DIGEST message again. An ECDSA key
gives a DER `Ecdsa-Sig-Value`, which is what CMS carries, RFC 5753; RSA gives PKCS #1 v1.5.)
Every signature is checked against the certificate's public key before pyHanko embeds it, so a
certificate that does not belong to the key fails loudly instead of producing invalid PDFs.

Each issuer signs with its own key (`sign_pdf(pdf, issuer=...)`). Whose key and certificate:

- an issuer whose registry entry has a `signing` block: that KMS key and that SSM parameter
  (`/esurety/<stage>/issuers/<issuer_id>/signing-certificate` by convention). Before its first
  signature the key is checked to be the issuer's: `kms:DescribeKey` (it exists, it is enabled,
  it signs; an alias is resolved to the key) and `kms:ListResourceTags` (its `esurety:issuer`
  tag is this issuer's id). The tag is what the functions' policy grants `kms:Sign` on (with
  `esurety:stage`), set by the key's administrator when the issuer is onboarded, so a registry
  entry that names another issuer's key is refused however it was written;
- the default issuer (`toto-hosho`) without a `signing` block, and the platform's own records
  (`issuer=None`: the desk's 寄託記録), the stack's key and certificate, from the environment
  (set by infra/template.yaml), as before there were several issuers:
  - `SIGNING_KEY_ID`: the KMS key (id, ARN or alias), key usage SIGN_VERIFY; ECC_NIST_P256 in
    the template (RSA keys work too: the algorithm follows the certificate's key);
  - `SIGNING_CERTIFICATE_PARAMETER`: the SSM parameter holding the signing certificate's PEM,
    followed by its intermediate CA certificates; root certificates in it are trust anchors for
    B-LT and are never embedded in the signature;
- `TIMESTAMP_URL`: the RFC 3161 TSA (HTTP POST); empty: B-B. One for every issuer.

For every key, every signature is verified against the certificate's public key before it is
embedded (above). Any other issuer without a signing block, a key that cannot sign (disabled,
pending deletion, not found, not allowed), a key tagged for another issuer, a certificate that
cannot be read or does not belong to the key: `IssuerSigningUnavailable` (answered 503
`issuer_signing_unavailable`), counted as the metric IssuerSigningUnavailable (alarmed), and no
document: the caller stores nothing it did not sign.

Per (key, certificate parameter) the parameter is read, the key checked and the signer built once
per process (a new certificate is picked up by the next cold start; a key refused is checked again
at the next signature, so one enabled or re-tagged meanwhile signs at once); the TSA client is made
once. pyHanko is imported on first use (`preload()` imports it at a cold start),
so importing this module stays cheap.
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from .. import metrics
from ..domain.catalogue.issuer import DEFAULT_ISSUER_ID
from ..domain.errors import IssuerSigningUnavailable
from . import client

if TYPE_CHECKING:
    from ..domain.catalogue.issuer import Issuer

KEY_ENV_VAR = "SIGNING_KEY_ID"
CERTIFICATE_ENV_VAR = "SIGNING_CERTIFICATE_PARAMETER"
TIMESTAMP_ENV_VAR = "TIMESTAMP_URL"
FIELD_NAME = "esurety-signature"
REASON = "電子保証"
MD_ALGORITHM = "sha256"
KMS_RAW_MESSAGE_LIMIT = 4096  # bytes: kms:Sign with MessageType RAW
TIMESTAMP_TIMEOUT_S = 5
_ONE_DAY = 86_400
# The KMS key's tags that say whose it is (the functions' policy grants kms:Sign on keys carrying both).
ISSUER_TAG = "esurety:issuer"
STAGE_TAG = "esurety:stage"
# What KMS answers for a key that cannot sign now: the issuer's signing is unavailable (503), not our bug.
_KEY_UNUSABLE = {
    "DisabledException", "KMSInvalidStateException", "NotFoundException", "AccessDeniedException",
    "InvalidKeyUsageException", "KeyUnavailableException", "IncorrectKeyException", "InvalidArnException",
}
# How many (key, certificate) pairs a process keeps built: a function signs for a few issuers.
_CACHED_KEYS = 32

NOT_CONFIGURED = f"signing is not configured: set {KEY_ENV_VAR} and {CERTIFICATE_ENV_VAR}"

_logger = Logger(child=True)


@dataclass(frozen=True)
class _Source:
    """Where one signature comes from: a KMS key, its certificate's parameter, and whose they must be."""

    key_id: str
    parameter: str
    issuer_id: str | None  # the issuer the key must be tagged for; None: the stack's own key (the template's)

    @property
    def who(self) -> str:
        return self.issuer_id or "platform"


def sign_pdf(pdf: bytes, *, issuer: "Issuer | None", reason: str = REASON) -> bytes:
    """`pdf` with an invisible PAdES signature made by `issuer`'s KMS key.

    `issuer=None` is the platform's own record (the desk's 寄託記録): the stack's key. Raises
    `IssuerSigningUnavailable` when the key or certificate cannot sign for the issuer, and
    RuntimeError when the stack's signing is not configured at all (a deployment error).
    """
    source = _source(issuer)
    signer = _prepared(source)  # first: a key that is not the issuer's fails before any work
    pdf_signer = _pdf_signer(signer, reason)
    configuration = (source.key_id, source.parameter, os.environ.get(TIMESTAMP_ENV_VAR), bool(signer.trust_roots))
    reserved = _RESERVED.get(configuration)
    try:
        signed = pdf_signer.sign_pdf(_writer_class()(io.BytesIO(pdf)), bytes_reserved=reserved).getvalue()
    except IssuerSigningUnavailable as refused:
        raise _unavailable(source, refused.reason) from None
    if reserved is None:
        _RESERVED[configuration] = _placeholder_length(signed)
    return signed


def check(issuer: "Issuer | None") -> None:
    """Raise `IssuerSigningUnavailable` now if `issuer`'s key or certificate is known not to sign
    for it (its key is checked and its certificate read once per process): a use case calls it
    before it writes anything, so a refused issue leaves nothing behind."""
    _prepared(_source(issuer))


# The placeholder pyHanko sized for the first document, per key, certificate and TSA: the same for
# every later one (the same signer, the longest signature, the TSA client's cached token), so
# passing it spares pyHanko the dry-run container it would build for every document (half its CMS work).
_RESERVED: dict[tuple, int] = {}
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)")


def _placeholder_length(signed: bytes) -> int:
    """Hex digits between the < > of the signature's /Contents, from its /ByteRange."""
    *_, last = _BYTE_RANGE.finditer(signed)
    return int(last.group(2)) - int(last.group(1)) - 2


def preload() -> None:
    """Import pyHanko's signing side now (a few hundred ms), e.g. at a cold start; calls no AWS API."""
    _kms_signer_class()
    _writer_class()
    import pyhanko.sign.signers  # noqa: F401


def configured() -> bool:
    return bool(os.environ.get(KEY_ENV_VAR) and os.environ.get(CERTIFICATE_ENV_VAR))


def level(issuer: "Issuer | None" = None) -> str:
    """The PAdES baseline level `issuer`'s configuration gives (default: the stack's key): "B-B", "B-T" or "B-LT"."""
    if not os.environ.get(TIMESTAMP_ENV_VAR):
        return "B-B"
    return "B-LT" if _prepared(_source(issuer)).trust_roots else "B-T"


def certificate_chain(issuer: "Issuer | None" = None) -> list:
    """`issuer`'s signing certificate and its chain (asn1crypto certificates); default: the stack's."""
    signer = _prepared(_source(issuer))
    return [signer.signing_cert, *signer.cert_registry]


def forget() -> None:
    """Drop the cached certificates, key checks and signers (tests switch moto on and off)."""
    _certificate_pem.cache_clear()
    _signer.cache_clear()
    _check_key.cache_clear()
    _timestamper.cache_clear()
    _RESERVED.clear()


# ------------------------------------------------------------------------------------------------


def _source(issuer: "Issuer | None") -> _Source:
    """Whose key signs for `issuer`: its registry entry's, or the stack's for the default issuer and the platform."""
    if issuer is None or (issuer.signing is None and issuer.issuer_id == DEFAULT_ISSUER_ID):
        key_id = os.environ.get(KEY_ENV_VAR)
        parameter = os.environ.get(CERTIFICATE_ENV_VAR)
        if not key_id or not parameter:
            raise RuntimeError(NOT_CONFIGURED)
        # The template's own key: its policy and tags are the stack's, nothing to check against a registry entry.
        return _Source(key_id, parameter, None)
    if issuer.signing is None:
        # Never the stack's key for another issuer: its documents would be signed in the default issuer's name.
        raise _unavailable(_Source("", "", issuer.issuer_id), "the issuer has no signing key registered")
    return _Source(issuer.signing.key_id, issuer.signing.certificate_parameter, issuer.issuer_id)


def _unavailable(source: _Source, reason: str) -> IssuerSigningUnavailable:
    """The refusal, logged (key and parameter are names, not secrets) and counted for the alarm."""
    _logger.error(
        "issuer signing unavailable",
        extra={"issuer_id": source.who, "key_id": source.key_id, "certificate_parameter": source.parameter, "reason": reason},
    )
    metrics.count(metrics.ISSUER_SIGNING_UNAVAILABLE)
    return IssuerSigningUnavailable(source.who, reason)


def _prepared(source: _Source):
    """The signer for `source`, its key checked to be the issuer's (once per process per key and certificate)."""
    try:
        if source.issuer_id is not None:
            _check_key(source.key_id, source.issuer_id)
        return _signer(source.key_id, source.parameter, source.who)
    except IssuerSigningUnavailable as refused:
        raise _unavailable(source, refused.reason) from None
    except RuntimeError as error:  # the certificate cannot be read, holds none, or has a key KMS cannot match
        raise _unavailable(source, str(error)) from None


@lru_cache(maxsize=_CACHED_KEYS)
def _check_key(key_id: str, issuer_id: str) -> None:
    """Raise unless `key_id` is an enabled signing key tagged for `issuer_id`. Only a key found
    right is remembered: one refused is asked again next time (enabled or re-tagged meanwhile)."""
    owner = _key_owner(key_id)
    if owner != issuer_id:
        raise IssuerSigningUnavailable(issuer_id, f"KMS key {key_id} is tagged {ISSUER_TAG}={owner!r}, not this issuer's")


def _key_owner(key_id: str) -> str | None:
    """The `esurety:issuer` tag of an enabled signing key (DescribeKey resolves an alias; ListResourceTags takes no alias)."""
    kms = client("kms")
    try:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if metadata.get("KeyState") != "Enabled":
            raise IssuerSigningUnavailable(None, f"KMS key {key_id} is {metadata.get('KeyState')}, not Enabled")
        if metadata.get("KeyUsage") != "SIGN_VERIFY":
            raise IssuerSigningUnavailable(None, f"KMS key {key_id} does not sign (key usage {metadata.get('KeyUsage')})")
        tags, marker = [], None
        while True:
            page = kms.list_resource_tags(KeyId=metadata["Arn"], **({"Marker": marker} if marker else {}))
            tags += page.get("Tags", [])
            marker = page.get("NextMarker") if page.get("Truncated") else None
            if not marker:
                break
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _KEY_UNUSABLE:
            raise IssuerSigningUnavailable(None, f"KMS key {key_id}: {code}") from None
        raise
    return next((t["TagValue"] for t in tags if t["TagKey"] == ISSUER_TAG), None)


@lru_cache(maxsize=_CACHED_KEYS)
def _certificate_pem(name: str) -> str:
    # Read once per cold start; a new certificate is picked up by the next cold start.
    try:
        value = parameters.get_parameter(name, max_age=_ONE_DAY)
    except parameters.exceptions.GetParameterError as error:
        raise RuntimeError(f"signing certificate parameter {name} could not be read: {error}") from error
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@lru_cache(maxsize=_CACHED_KEYS)
def _signer(key_id: str, parameter: str, who: str):
    from asn1crypto import pem, x509

    text = _certificate_pem(parameter).encode("ascii", errors="strict")
    certificates = [x509.Certificate.load(der) for kind, _, der in pem.unarmor(text, multiple=True) if kind == "CERTIFICATE"]
    if not certificates:
        raise RuntimeError(f"signing certificate parameter {parameter} holds no PEM certificate")
    leaf, rest = certificates[0], certificates[1:]
    roots = [c for c in rest if c.self_signed != "no"]
    return _kms_signer_class()(key_id, leaf, [c for c in rest if c.self_signed == "no"], roots, who)


@lru_cache(maxsize=1)
def _timestamper(url: str):
    """pyHanko's TSA client, kept for the process: it asks the TSA once for a token to size the placeholder."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=TIMESTAMP_TIMEOUT_S)


def _pdf_signer(signer, reason: str):
    """pyHanko's PdfSigner for this signer (a new one per document: see the validation context)."""
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers import pdf_signer

    url = os.environ.get(TIMESTAMP_ENV_VAR) or None
    timestamper = _timestamper(url) if url else None
    long_term = {}
    if timestamper is not None and signer.trust_roots:
        from pyhanko_certvalidator import ValidationContext

        long_term = dict(
            embed_validation_info=True,
            # Per document, so that the CRLs and OCSP responses are fetched fresh (a context caches
            # what it fetched); a CA that publishes none leaves the chain without them (soft-fail).
            validation_context=ValidationContext(
                trust_roots=signer.trust_roots, other_certs=list(signer.cert_registry), allow_fetching=True
            ),
            # The DSS in the signature's own revision: one revision, covered by the signature.
            dss_settings=pdf_signer.DSSContentSettings(
                include_vri=False, placement=pdf_signer.SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
            ),
        )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        md_algorithm=MD_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        # Without a timestamp the container's size is known (the dry run's, with the longest
        # signature): no slack, 25 % of the container, so that B-B stays within 40 KiB. A TSA's
        # token varies by a few bytes (serial, nonce, time, its own signature): pyHanko's slack.
        tight_size_estimates=timestamper is None,
        **long_term,
    )
    return signers.PdfSigner(metadata, signer=signer, timestamper=timestamper)


@lru_cache(maxsize=1)
def _writer_class():
    """pyHanko's incremental writer, leaving the document information dictionary as rendered.

    pyHanko rewrites it to set ModDate and Producer: ~550 bytes of the 40 KiB budget, since
    reportlab's Japanese title, author and subject are written again as UTF-16. The rendered
    dictionary already dates the document (`documents.new_canvas`) and the signature dictionary's
    /M and the timestamp date the signature. pyHanko has no option for this: its one override.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class Writer(IncrementalPdfFileWriter):
        def _update_meta(self):
            pass

    return Writer


@lru_cache(maxsize=1)
def _kms_signer_class():
    """The pyHanko `Signer` for KMS, defined on first use so that importing this module stays cheap."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from pyhanko.sign.signers import Signer
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class KmsSigner(Signer):
        """A pyHanko signer whose raw signature is `kms:Sign` (RAW message) with one issuer's key."""

        def __init__(self, key_id: str, signing_cert, chain, trust_roots, who: str):
            super().__init__(
                signing_cert=signing_cert,
                cert_registry=SimpleCertificateStore.from_certs(chain),
                embed_roots=False,
            )
            self.key_id = key_id
            self.who = who  # whose key: an issuer id, or "platform"
            self.trust_roots = trust_roots
            self._public_key = load_der_public_key(signing_cert.public_key.dump())
            if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                if self._public_key.curve.name != "secp256r1":
                    raise RuntimeError(f"unsupported signing curve {self._public_key.curve.name}; use ECC_NIST_P256")
                self.kms_algorithm = "ECDSA_SHA_256"
                # The longest DER Ecdsa-Sig-Value: two 33-byte INTEGERs (sign byte) in a SEQUENCE.
                self._longest = 2 + 2 * (2 + 33)
            elif isinstance(self._public_key, rsa.RSAPublicKey):
                self.kms_algorithm = "RSASSA_PKCS1_V1_5_SHA_256"
                self._longest = (self._public_key.key_size + 7) // 8
            else:
                raise RuntimeError("the signing certificate's key is neither ECDSA P-256 nor RSA")

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            if digest_algorithm != MD_ALGORITHM:
                raise RuntimeError(f"KMS signing uses {MD_ALGORITHM}, not {digest_algorithm}")
            if dry_run:  # pyHanko sizes the placeholder: the longest signature will do
                return bytes(self._longest)
            if len(data) > KMS_RAW_MESSAGE_LIMIT:
                raise RuntimeError(f"signed attributes of {len(data)} bytes exceed KMS's RAW message limit")
            try:
                signature = client("kms").sign(
                    KeyId=self.key_id, Message=data, MessageType="RAW", SigningAlgorithm=self.kms_algorithm
                )["Signature"]
            except ClientError as error:  # disabled or deleted since it was checked, or no longer allowed
                code = error.response.get("Error", {}).get("Code", "")
                if code in _KEY_UNUSABLE:
                    raise IssuerSigningUnavailable(self.who, f"KMS key {self.key_id} cannot sign: {code}") from None
                raise
            try:  # ~0.06 ms, on every signature: an alias can be pointed at another key
                if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                    self._public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
                else:
                    self._public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                raise IssuerSigningUnavailable(
                    self.who, f"the signing certificate does not belong to KMS key {self.key_id}: check its certificate parameter"
                ) from None
            return signature

    return KmsSigner
