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

Configuration, from the environment (set by infra/template.yaml):

- `SIGNING_KEY_ID`: the KMS key (id, ARN or alias), key usage SIGN_VERIFY; ECC_NIST_P256 in the
  template (RSA keys work too: the algorithm follows the certificate's key);
- `SIGNING_CERTIFICATE_PARAMETER`: the SSM parameter holding the signing certificate's PEM,
  followed by its intermediate CA certificates; root certificates in it are trust anchors for
  B-LT and are never embedded in the signature;
- `TIMESTAMP_URL`: the RFC 3161 TSA (HTTP POST); empty: B-B.

The parameter is read, the signer built and the TSA client made once per process. pyHanko is imported on first use
(`preload()` imports it at a cold start), so importing this module stays cheap.
"""
from __future__ import annotations

import io
import os
import re
from functools import lru_cache

from aws_lambda_powertools.utilities import parameters

from . import client

KEY_ENV_VAR = "SIGNING_KEY_ID"
CERTIFICATE_ENV_VAR = "SIGNING_CERTIFICATE_PARAMETER"
TIMESTAMP_ENV_VAR = "TIMESTAMP_URL"
FIELD_NAME = "esurety-signature"
REASON = "電子保証"
MD_ALGORITHM = "sha256"
KMS_RAW_MESSAGE_LIMIT = 4096  # bytes: kms:Sign with MessageType RAW
TIMESTAMP_TIMEOUT_S = 5
_ONE_DAY = 86_400

NOT_CONFIGURED = f"signing is not configured: set {KEY_ENV_VAR} and {CERTIFICATE_ENV_VAR}"


def sign_pdf(pdf: bytes, *, reason: str = REASON) -> bytes:
    """`pdf` with an invisible PAdES signature made by the KMS key; raises if not configured."""
    pdf_signer = _pdf_signer(reason)  # first: an unconfigured process fails before any work
    configuration = (os.environ.get(TIMESTAMP_ENV_VAR), bool(_signer().trust_roots))
    reserved = _RESERVED.get(configuration)
    signed = pdf_signer.sign_pdf(_writer_class()(io.BytesIO(pdf)), bytes_reserved=reserved).getvalue()
    if reserved is None:
        _RESERVED[configuration] = _placeholder_length(signed)
    return signed


# The placeholder pyHanko sized for the first document, per configuration: the same for every
# later one (the same signer, the longest signature, the TSA client's cached token), so passing it
# spares pyHanko the dry-run container it would build for every document (half its CMS work).
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


def level() -> str:
    """The PAdES baseline level the configuration gives: "B-B", "B-T" or "B-LT"."""
    if not os.environ.get(TIMESTAMP_ENV_VAR):
        return "B-B"
    return "B-LT" if _signer().trust_roots else "B-T"


def certificate_chain() -> list:
    """The signing certificate and its chain (asn1crypto certificates), as configured."""
    signer = _signer()
    return [signer.signing_cert, *signer.cert_registry]


def forget() -> None:
    """Drop the cached certificate and signer (tests switch moto on and off)."""
    _certificate_pem.cache_clear()
    _signer.cache_clear()
    _timestamper.cache_clear()
    _RESERVED.clear()


# ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _certificate_pem(name: str) -> str:
    # Read once per cold start; a new certificate is picked up by the next cold start.
    try:
        value = parameters.get_parameter(name, max_age=_ONE_DAY)
    except parameters.exceptions.GetParameterError as error:
        raise RuntimeError(f"signing certificate parameter {name} could not be read: {error}") from error
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@lru_cache(maxsize=1)
def _signer():
    from asn1crypto import pem, x509

    key_id = os.environ.get(KEY_ENV_VAR)
    parameter = os.environ.get(CERTIFICATE_ENV_VAR)
    if not key_id or not parameter:
        raise RuntimeError(NOT_CONFIGURED)
    text = _certificate_pem(parameter).encode("ascii", errors="strict")
    certificates = [x509.Certificate.load(der) for kind, _, der in pem.unarmor(text, multiple=True) if kind == "CERTIFICATE"]
    if not certificates:
        raise RuntimeError(f"signing certificate parameter {parameter} holds no PEM certificate")
    leaf, rest = certificates[0], certificates[1:]
    roots = [c for c in rest if c.self_signed != "no"]
    return _kms_signer_class()(key_id, leaf, [c for c in rest if c.self_signed == "no"], roots)


@lru_cache(maxsize=1)
def _timestamper(url: str):
    """pyHanko's TSA client, kept for the process: it asks the TSA once for a token to size the placeholder."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=TIMESTAMP_TIMEOUT_S)


def _pdf_signer(reason: str):
    """pyHanko's PdfSigner for this configuration (a new one per document: see the validation context)."""
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers import pdf_signer

    signer = _signer()
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
        """A pyHanko signer whose raw signature is `kms:Sign` (RAW message) with the configured key."""

        def __init__(self, key_id: str, signing_cert, chain, trust_roots):
            super().__init__(
                signing_cert=signing_cert,
                cert_registry=SimpleCertificateStore.from_certs(chain),
                embed_roots=False,
            )
            self.key_id = key_id
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
            signature = client("kms").sign(
                KeyId=self.key_id, Message=data, MessageType="RAW", SigningAlgorithm=self.kms_algorithm
            )["Signature"]
            try:  # ~0.06 ms, on every signature: an alias can be pointed at another key
                if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                    self._public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
                else:
                    self._public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                raise RuntimeError(
                    f"the signing certificate does not belong to KMS key {self.key_id}: check {CERTIFICATE_ENV_VAR}"
                ) from None
            return signature

    return KmsSigner
