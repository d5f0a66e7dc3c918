"""PAdES signatures on the PDFs: pyHanko builds the signature, AWS KMS makes it.

`sign_pdf(pdf)` returns the document with one invisible approval signature (PAdES baseline B-B:
CMS with the ESS signing-certificate-v2 attribute, SubFilter ETSI.CAdES.detached, SHA-256),
added as an incremental update, so the signed byte range covers the whole file as given.

The private key never leaves KMS: the signed attributes (a few hundred bytes) go to `kms:Sign`
with MessageType RAW, so KMS hashes them itself. (Not DIGEST: moto hashes a DIGEST message again,
and signatures made that way would only verify inside moto.) An ECDSA key gives a DER
`Ecdsa-Sig-Value`, which is exactly what CMS carries in SignerInfo.signature (RFC 5753), so it is
embedded as KMS returns it; an RSA key gives PKCS #1 v1.5 bytes, embedded as they are too.
Every signature is checked locally against the certificate's public key before it is embedded, so
a certificate that does not belong to the key fails loudly instead of producing invalid PDFs.

Configuration, from the environment (set by infra/template.yaml):

- `SIGNING_KEY_ID`: the KMS key (id, ARN or alias), key usage SIGN_VERIFY; ECC_NIST_P256 in the
  template (RSA keys work too: the algorithm follows the certificate's key);
- `SIGNING_CERTIFICATE_PARAMETER`: the SSM parameter holding the signing certificate's PEM,
  followed by its intermediate CA certificates (a root in it is not embedded).

The parameter is read once per cold start and the signer is built once per process. Signing
fetches nothing else: no revocation data, no timestamp (B-B), so it costs one KMS call.
"""
from __future__ import annotations

import io
import os
from functools import lru_cache
from types import SimpleNamespace

from aws_lambda_powertools.utilities import parameters

from .aws import client

KEY_ENV_VAR = "SIGNING_KEY_ID"
CERTIFICATE_ENV_VAR = "SIGNING_CERTIFICATE_PARAMETER"
FIELD_NAME = "esurety-signature"
REASON = "電子保証"
MD_ALGORITHM = "sha256"
KMS_RAW_MESSAGE_LIMIT = 4096  # bytes: kms:Sign with MessageType RAW
_ONE_DAY = 86_400

NOT_CONFIGURED = f"signing is not configured: set {KEY_ENV_VAR} and {CERTIFICATE_ENV_VAR}"


def sign_pdf(pdf: bytes, *, reason: str = REASON) -> bytes:
    """`pdf` with an invisible PAdES B-B signature made by the KMS key; raises if not configured."""
    signer = _signer()  # first: an unconfigured process fails before any work
    writer = _classes().Writer(io.BytesIO(pdf))
    output = io.BytesIO()
    _classes().PdfSigner(_metadata(reason), signer=signer).sign_pdf(writer, output=output)
    return output.getvalue()


def preload() -> None:
    """Import pyHanko now (a few hundred ms), e.g. at a function's cold start; calls no AWS API."""
    _classes()


def configured() -> bool:
    return bool(os.environ.get(KEY_ENV_VAR) and os.environ.get(CERTIFICATE_ENV_VAR))


def certificate_chain() -> list:
    """The signing certificate and its chain (asn1crypto certificates), as configured."""
    signer = _signer()
    return [signer.signing_cert, *signer.cert_registry]


def forget() -> None:
    """Drop the cached certificate and signer (tests switch moto on and off)."""
    _certificate_pem.cache_clear()
    _signer.cache_clear()
    _metadata.cache_clear()


# ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _certificate_pem(name: str) -> str:
    # Read once per cold start; a new certificate is picked up by the next cold start.
    try:
        value = parameters.get_parameter(name, max_age=_ONE_DAY)
    except parameters.exceptions.GetParameterError as error:
        raise RuntimeError(f"signing certificate parameter {name} could not be read: {error}") from error
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@lru_cache(maxsize=4)
def _metadata(reason: str):
    from pyhanko.sign import fields, signers

    return signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        md_algorithm=MD_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        # The whole CMS is pyHanko's (no timestamp, no revocation data): no margin needed.
        tight_size_estimates=True,
    )


@lru_cache(maxsize=1)
def _signer():
    key_id = os.environ.get(KEY_ENV_VAR)
    parameter = os.environ.get(CERTIFICATE_ENV_VAR)
    if not key_id or not parameter:
        raise RuntimeError(NOT_CONFIGURED)
    certificates = _parse_pem_chain(_certificate_pem(parameter))
    if not certificates:
        raise RuntimeError(f"signing certificate parameter {parameter} holds no PEM certificate")
    return _classes().KmsSigner(key_id, certificates[0], certificates[1:])


def _parse_pem_chain(text: str) -> list:
    from asn1crypto import pem, x509

    data = text.encode("ascii", errors="strict")
    return [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]


def _der_ecdsa_max_length(key_bits: int) -> int:
    """Longest DER Ecdsa-Sig-Value for a curve of `key_bits`: two INTEGERs with a sign byte each."""
    integer = (key_bits + 7) // 8 + 1
    body = 2 * (2 + integer)
    return body + (2 if body < 128 else 3)


@lru_cache(maxsize=1)
def _classes() -> SimpleNamespace:
    """The pyHanko subclasses, defined on first use so that importing this module stays cheap."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.signers import Signer
    from pyhanko.sign.signers.constants import ESIC_EXTENSION_1
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class Writer(IncrementalPdfFileWriter):
        """Leaves the document information dictionary as rendered.

        pyHanko would rewrite it to bump ModDate and Producer: ~550 bytes of the 40 KiB budget
        (reportlab writes the Japanese title, author and subject as escaped UTF-16). The
        signature dictionary's /M already records when the document was signed.
        """

        def _update_meta(self):
            pass

    class PdfSigner(signers.PdfSigner):
        """Declares the PAdES extension (ESIC, PDF 1.7) and nothing else.

        For an ECDSA P-256 key pyHanko would also declare ISO 32002, which raises the file to
        PDF 2.0 and so adds an XMP metadata stream: ~770 bytes of the 40 KiB budget. ECDSA P-256
        with SHA-256 is a PAdES algorithm (ETSI TS 119 312) that validators check without the
        declaration (pyHanko and poppler's pdfsig do: tests/test_signing.py).
        """

        def register_extensions(self, pdf_out, *, md_algorithm: str):
            pdf_out.ensure_output_version(version=(1, 7))
            if pdf_out.output_version < (2, 0):
                pdf_out.register_extension(ESIC_EXTENSION_1)

    class KmsSigner(Signer):
        """A pyHanko signer whose raw signature is `kms:Sign` (RAW message) with the configured key."""

        def __init__(self, key_id: str, signing_cert, chain):
            super().__init__(
                signing_cert=signing_cert,
                cert_registry=SimpleCertificateStore.from_certs(chain),
                embed_roots=False,
            )
            self.key_id = key_id
            self._public_key = load_der_public_key(signing_cert.public_key.dump())
            if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                if self._public_key.curve.name != "secp256r1":
                    raise RuntimeError(f"unsupported signing curve {self._public_key.curve.name}; use ECC_NIST_P256")
                self.kms_algorithm = "ECDSA_SHA_256"
                self._placeholder_length = _der_ecdsa_max_length(self._public_key.curve.key_size)
            elif isinstance(self._public_key, rsa.RSAPublicKey):
                self.kms_algorithm = "RSASSA_PKCS1_V1_5_SHA_256"
                self._placeholder_length = (self._public_key.key_size + 7) // 8
            else:
                raise RuntimeError("the signing certificate's key is neither ECDSA P-256 nor RSA")

        def _verify(self, signature: bytes, data: bytes) -> None:
            if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                self._public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            else:
                self._public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            if digest_algorithm != MD_ALGORITHM:
                raise RuntimeError(f"KMS signing uses {MD_ALGORITHM}, not {digest_algorithm}")
            if dry_run:  # pyHanko sizes the signature container: the longest signature will do
                return bytes(self._placeholder_length)
            if len(data) > KMS_RAW_MESSAGE_LIMIT:
                raise RuntimeError(f"signed attributes of {len(data)} bytes exceed KMS's RAW message limit")
            response = client("kms").sign(
                KeyId=self.key_id,
                Message=data,
                MessageType="RAW",
                SigningAlgorithm=self.kms_algorithm,
            )
            signature = response["Signature"]
            try:
                self._verify(signature, data)
            except InvalidSignature:
                raise RuntimeError(
                    f"the signing certificate does not belong to KMS key {self.key_id}: "
                    f"check {CERTIFICATE_ENV_VAR}"
                ) from None
            return signature

    return SimpleNamespace(Writer=Writer, PdfSigner=PdfSigner, KmsSigner=KmsSigner)
