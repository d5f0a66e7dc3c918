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

Per document, signing costs the KMS call and ~0.1-0.3 ms besides (docs/performance.md, "Documents"):

- The CMS container is assembled from DER pieces cut, once per process, out of the container
  pyHanko builds for this certificate (a dry run, `_CmsTemplate`): between documents only the
  32-byte message digest in the signed attributes and the signature change. The pieces reproduce
  pyHanko's bytes exactly (checked when the template is made; tests/test_signing.py compares a
  whole container). Building it with asn1crypto took ~10 ms, twice per document (pyHanko first
  builds a dummy one to size the placeholder); the placeholder is now sized once, for the longest
  signature the key can make, as pyHanko's tight estimate sized it.
- The incremental update (the field, its widget, the signature dictionary, the byte range) is
  written directly for the simple files reportlab writes (`_SignatureUpdate`), with the entries
  pyHanko writes; any other file goes through pyHanko's writer as before (~0.8 ms more).
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
from datetime import datetime, timezone
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
    update = _SignatureUpdate.prepare(pdf, reason, signer.bytes_reserved)
    if update is None:  # not the simple layout reportlab writes: pyHanko writes the update
        return _sign_with_pyhanko(pdf, reason, signer)
    return update.fill(signer.sign_digest(update.digest))


def _sign_with_pyhanko(pdf: bytes, reason: str, signer) -> bytes:
    # pyHanko's own steps (PdfSigner.async_sign_pdf) without the dry-run CMS that sizes the
    # placeholder (its size is known) and without the pre-sign validation, which returns nothing
    # without a validation context (B-B).
    session = _pdf_signer(reason).init_signing_session(_classes().Writer(io.BytesIO(pdf)))
    tbs = session.prepare_tbs_document(validation_info=None, bytes_reserved=signer.bytes_reserved)
    prepared, output = tbs.digest_tbs_document(output=io.BytesIO())
    prepared.fill_with_cms(output, signer.sign_digest(prepared.document_digest))
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
    _pdf_signer.cache_clear()


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
    )


@lru_cache(maxsize=4)
def _pdf_signer(reason: str):
    return _classes().PdfSigner(_metadata(reason), signer=_signer())


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


# --- the incremental update, written directly -----------------------------------------------------
#
# For the PDFs reportlab writes (one revision, a classic cross-reference table, a catalog and a
# first page without strings, annotations, forms or extensions) the update is written here, with
# the same objects and entries as pyHanko writes them through `Writer` and `PdfSigner` (below):
# the page gains /Annots, the catalog /AcroForm, the ESIC extension and /Version 1.7, and three
# objects are added (the AcroForm, the field-and-widget, the signature dictionary). Parsing and
# re-serialising the file with pyHanko costs ~0.8 ms per document; this ~0.1 ms. Anything else
# returns None and pyHanko writes the update.

_HEADER = re.compile(rb"%PDF-1\.([0-7])[\r\n]")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_TRAILER_REF = {key: re.compile(rb"/" + key + rb"\s+(\d+)\s+0\s+R") for key in (b"Root", b"Info")}
_TRAILER_SIZE = re.compile(rb"/Size\s+(\d+)")
_TRAILER_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]*)>\s*<[0-9A-Fa-f]*>\s*\]")
_CATALOG = re.compile(rb"/Type\s*/Catalog(?![^\s/<>\[\]()%])")
_PAGES_REF = re.compile(rb"/Pages\s+(\d+)\s+0\s+R")
_PAGES = re.compile(rb"/Type\s*/Pages(?![^\s/<>\[\]()%])")
_FIRST_KID = re.compile(rb"/Kids\s*\[\s*(\d+)\s+0\s+R")
_PAGE = re.compile(rb"/Type\s*/Page(?![^\s/<>\[\]()%])")
# Entries that pyHanko would have to merge with: their presence anywhere sends the file to pyHanko.
_CATALOG_TAKEN = (b"/AcroForm", b"/Extensions", b"/Version", b"/Perms", b"/Collection")
_PAGE_TAKEN = (b"/Annots",)
_ESIC = b"/Extensions << /ESIC << /Type /DeveloperExtensions /BaseVersion /1.7 /ExtensionLevel 1 >> >>"
_WIDGET_FLAGS = 132  # Print | Locked, as pyHanko sets them on an invisible signature widget
_BYTE_RANGE_WIDTH = 48  # "[0 a b c]" padded with spaces: room for four 10-digit numbers


def _pdf_text(text: str) -> bytes:
    """A PDF text string: a literal for printable ASCII, else UTF-16BE with a BOM in hex."""
    if text.isascii() and text.isprintable():
        return b"(" + text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


class _SignatureUpdate:
    """The signed file in the making: the original bytes, the update, a zeroed /Contents."""

    def __init__(self, data: bytearray, contents_start: int, contents_end: int):
        self.data = data
        self.contents_start, self.contents_end = contents_start, contents_end  # the <...> string
        digest = hashlib.sha256()
        view = memoryview(data)
        digest.update(view[:contents_start])
        digest.update(view[contents_end:])
        view.release()
        self.digest = digest.digest()

    def fill(self, container: bytes) -> bytes:
        hex_digits = container.hex().upper().encode("ascii")
        if len(hex_digits) > self.contents_end - self.contents_start - 2:
            raise RuntimeError("the signature container does not fit its placeholder")
        self.data[self.contents_start + 1:self.contents_start + 1 + len(hex_digits)] = hex_digits
        return bytes(self.data)

    @classmethod
    def prepare(cls, pdf: bytes, reason: str, bytes_reserved: int) -> "_SignatureUpdate | None":
        """The file with the signature's update and placeholder; None if its layout is not the simple one."""
        header = _HEADER.match(pdf)
        tail = _STARTXREF.search(pdf, max(0, len(pdf) - 64))
        if header is None or tail is None:
            return None
        xref_offset = int(tail.group(1))
        trailer_at = pdf.find(b"trailer", xref_offset, tail.start())
        if not pdf.startswith(b"xref", xref_offset) or trailer_at < 0:
            return None  # a cross-reference stream
        trailer = pdf[trailer_at:tail.start()]
        if any(key in trailer for key in (b"/Prev", b"/Encrypt", b"/XRefStm")):
            return None  # more than one revision, or encrypted
        first_id = _TRAILER_ID.search(trailer)
        if first_id is None and b"/ID" in trailer:
            return None  # an /ID written otherwise: its first part is to be kept as it is
        offsets = cls._offsets(pdf[xref_offset + 4:trailer_at])
        size, root = _TRAILER_SIZE.search(trailer), _TRAILER_REF[b"Root"].search(trailer)
        if offsets is None or size is None or root is None:
            return None
        catalog_number = int(root.group(1))
        catalog = cls._dictionary(pdf, offsets, catalog_number)
        if catalog is None or not _CATALOG.search(catalog) or any(key in catalog for key in _CATALOG_TAKEN):
            return None
        pages_ref = _PAGES_REF.search(catalog)
        pages = pages_ref and cls._dictionary(pdf, offsets, int(pages_ref.group(1)))
        first_kid = pages and _PAGES.search(pages) and _FIRST_KID.search(pages)
        if not first_kid:
            return None
        page_number = int(first_kid.group(1))
        page = cls._dictionary(pdf, offsets, page_number)
        if page is None or not _PAGE.search(page) or _PAGES.search(page) or any(k in page for k in _PAGE_TAKEN):
            return None

        document_id = first_id.group(1) if first_id else os.urandom(16).hex().encode("ascii")
        size = int(size.group(1))
        acroform_number, field_number, signature_number = size, size + 1, size + 2
        data = bytearray(pdf)
        if not pdf.endswith((b"\n", b"\r")):
            data += b"\n"
        written = {}

        def put(number: int, body: bytes) -> None:
            written[number] = len(data)
            data.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

        put(page_number, page[:-2] + b" /Annots [ %d 0 R ] >>" % field_number)
        version = b" /Version /1.7" if int(header.group(1)) < 7 else b""
        put(catalog_number, catalog[:-2] + b" /AcroForm %d 0 R %s%s >>" % (acroform_number, _ESIC, version))
        put(acroform_number, b"<< /Fields [ %d 0 R ] /SigFlags 3 >>" % field_number)
        put(field_number, b"<< /FT /Sig /T %s /Type /Annot /Subtype /Widget /F %d /Rect [ 0 0 0 0 ] "
            b"/P %d 0 R /V %d 0 R >>" % (_pdf_text(FIELD_NAME), _WIDGET_FLAGS, page_number, signature_number))
        signed_at = datetime.now(timezone.utc).strftime("D:%Y%m%d%H%M%SZ").encode("ascii")
        written[signature_number] = len(data)
        data.extend(b"%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                    b"/M (%s) /Reason %s\n/ByteRange " % (signature_number, signed_at, _pdf_text(reason)))
        byte_range_at = len(data)
        data.extend(b" " * _BYTE_RANGE_WIDTH + b"\n/Contents ")
        contents_start = len(data)
        data.extend(b"<" + b"0" * bytes_reserved + b">")
        contents_end = len(data)
        data.extend(b" >>\nendobj\n")

        new_xref = len(data)
        data.extend(b"xref\n0 1\n0000000000 65535 f \n")
        numbers = sorted(written)
        run_start = 0
        for i, number in enumerate(numbers):  # one subsection per run of consecutive numbers
            if i + 1 == len(numbers) or numbers[i + 1] != number + 1:
                run = numbers[run_start:i + 1]
                data.extend(b"%d %d\n" % (run[0], len(run)))
                for n in run:
                    data.extend(b"%010d 00000 n \n" % written[n])
                run_start = i + 1
        info = _TRAILER_REF[b"Info"].search(trailer)
        data.extend(b"trailer\n<< /Size %d /Root %d 0 R%s /ID [<%s> <%s>] /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
            signature_number + 1, catalog_number, b" /Info %s 0 R" % info.group(1) if info else b"",
            document_id, os.urandom(16).hex().encode("ascii"), xref_offset, new_xref,
        ))

        byte_range = b"[0 %d %d %d]" % (contents_start, contents_end, len(data) - contents_end)
        data[byte_range_at:byte_range_at + len(byte_range)] = byte_range
        return cls(data, contents_start, contents_end)

    @staticmethod
    def _offsets(table: bytes) -> dict[int, int] | None:
        """Object number -> offset of the objects in use (generation 0) of a classic xref table."""
        tokens = table.split()
        offsets, i = {}, 0
        try:
            while i < len(tokens):
                first, count = int(tokens[i]), int(tokens[i + 1])
                entries = tokens[i + 2:i + 2 + 3 * count]
                if len(entries) != 3 * count:
                    return None
                for k in range(count):
                    offset, generation, kind = entries[3 * k:3 * k + 3]
                    if kind == b"n":
                        if generation != b"00000":
                            return None
                        offsets[first + k] = int(offset)
                i += 2 + 3 * count
        except ValueError:
            return None
        return offsets

    @staticmethod
    def _dictionary(pdf: bytes, offsets: dict[int, int], number: int) -> bytes | None:
        """`<< ... >>` of object `number`; None unless it is a plain dictionary without strings."""
        offset = offsets.get(number)
        if offset is None:
            return None
        head = re.compile(rb"%d\s+0\s+obj\b" % number).match(pdf, offset)
        end = pdf.find(b"endobj", offset)
        if head is None or end < 0:
            return None
        body = pdf[head.end():end].strip()
        # No string, stream or comment: the last >> closes the dictionary and no key hides in text.
        if not (body.startswith(b"<<") and body.endswith(b">>")) or any(c in body for c in (b"(", b"stream", b"%")):
            return None
        return body


# --- DER pieces of the CMS container ------------------------------------------------------------

_SEQUENCE, _SET, _OCTET_STRING, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0
# The only signed attributes a template may hold: all but the message digest are the same for
# every document (pyHanko's PAdES set). Anything else, e.g. a signing time, would be frozen in.
_TEMPLATE_ATTRIBUTES = {"content_type", "message_digest", "signing_certificate_v2"}
# A digest-sized marker that the template's message digest attribute carries.
_MARKER_DIGEST = hashlib.sha256(b"esurety CMS template: message digest").digest()


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV (definite length)."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _der_items(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """The TLVs that `data` is made of, each as (tag, whole TLV, content); DER only."""
    items, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError("truncated DER")
        tag, first = data[i], data[i + 1]
        if tag & 0x1F == 0x1F or first == 0x80:
            raise ValueError("not DER: multi-byte tag or indefinite length")
        if first < 0x80:
            start, n = i + 2, first
        else:
            start = i + 2 + (first & 0x7F)
            n = int.from_bytes(data[i + 2:start], "big")
        end = start + n
        if end > len(data):
            raise ValueError("truncated DER")
        items.append((tag, data[i:end], data[start:end]))
        i = end
    return items


def _der_only(data: bytes, tag: int) -> bytes:
    """The content of `data`, which must be exactly one TLV with `tag`."""
    (item,) = _der_items(data)
    if item[0] != tag:
        raise ValueError(f"expected DER tag {tag:#x}, found {item[0]:#x}")
    return item[2]


class _CmsTemplate:
    """pyHanko's CMS container for one signer, cut into the DER pieces around what varies.

    ContentInfo { signedData, [0] SignedData { version, digestAlgorithms, encapContentInfo,
    [0] certificates, signerInfos SET { SignerInfo { version, sid, digestAlgorithm,
    [0] signedAttrs, signatureAlgorithm, signature } } } }: only the message digest (inside the
    signed attributes) and the signature change from one document to the next.
    """

    def __init__(self, container: bytes, digest: bytes, signature: bytes):
        from asn1crypto import cms

        signer_info = cms.ContentInfo.load(container)["content"]["signer_infos"]
        if len(signer_info) != 1:
            raise ValueError("the template must have exactly one signer")
        kinds = {attribute["type"].native for attribute in signer_info[0]["signed_attrs"]}
        if kinds != _TEMPLATE_ATTRIBUTES:
            raise ValueError(f"unexpected signed attributes in the template: {sorted(kinds)}")

        oid, explicit = _der_items(_der_only(container, _SEQUENCE))
        *head, signer_infos = _der_items(_der_only(_der_only(explicit[1], _CONTEXT_0), _SEQUENCE))
        if signer_infos[0] != _SET:
            raise ValueError("SignedData does not end with its signer infos")
        fields = _der_items(_der_only(_der_only(signer_infos[1], _SET), _SEQUENCE))
        if [tag for tag, _, _ in fields[3:]] != [_CONTEXT_0, _SEQUENCE, _OCTET_STRING]:
            raise ValueError("SignerInfo is not: ..., signed attributes, algorithm, signature (no unsigned ones)")
        attributes = fields[3][2]
        if attributes.count(digest) != 1:
            raise ValueError("the message digest is not found once in the signed attributes")
        self.oid = oid[1]
        self.signed_data_head = b"".join(whole for _, whole, _ in head)
        self.signer_info_head = b"".join(whole for _, whole, _ in fields[:3])
        self.signature_algorithm = fields[4][1]
        self.attributes_before, _, self.attributes_after = attributes.partition(digest)
        if self.container(self.signed_attributes(digest), signature) != container:
            raise ValueError("the template does not reproduce pyHanko's container")

    def signed_attributes(self, digest: bytes) -> bytes:
        """The DER SET OF signed attributes, as signed."""
        return _der(_SET, self.attributes_before + digest + self.attributes_after)

    def container(self, signed_attributes: bytes, signature: bytes) -> bytes:
        """The DER ContentInfo; `signed_attributes` as `signed_attributes()` returned them."""
        attributes = bytes((_CONTEXT_0,)) + signed_attributes[1:]  # [0] IMPLICIT SET OF
        signer_info = _der(
            _SEQUENCE,
            self.signer_info_head + attributes + self.signature_algorithm + _der(_OCTET_STRING, signature),
        )
        signed_data = _der(_SEQUENCE, self.signed_data_head + _der(_SET, signer_info))
        return _der(_SEQUENCE, self.oid + _der(_CONTEXT_0, signed_data))


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
        signature dictionary's /M already records when the document was signed. (The direct
        update, `_SignatureUpdate`, leaves it alone too.)
        """

        def _update_meta(self):
            pass

    class PdfSigner(signers.PdfSigner):
        """Declares the PAdES extension (ESIC, PDF 1.7) and nothing else.

        For an ECDSA P-256 key pyHanko would also declare ISO 32002, which raises the file to
        PDF 2.0 and so adds an XMP metadata stream: ~770 bytes of the 40 KiB budget. ECDSA P-256
        with SHA-256 is a PAdES algorithm (ETSI TS 119 312) that validators check without the
        declaration (pyHanko and poppler's pdfsig do: tests/test_signing.py). The direct
        update, `_SignatureUpdate`, declares the same.
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
            self._template = self._make_template()
            # The /Contents placeholder, in hex digits: the container with the longest signature
            # the key can make, which is what pyHanko's tight estimate reserved on every call.
            self.bytes_reserved = 2 * len(self._template.container(
                self._template.signed_attributes(_MARKER_DIGEST), bytes(self._placeholder_length)
            ))

        def _make_template(self) -> _CmsTemplate:
            """Once per process: pyHanko's own PAdES container (a dry run: no KMS call), cut up."""
            from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

            container = asyncio.run(self.async_sign(
                _MARKER_DIGEST,
                MD_ALGORITHM,
                dry_run=True,
                use_pades=True,  # as PdfSigner passes it for SigSeedSubFilter.PADES
                signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(timezone.utc)),
            )).dump()
            return _CmsTemplate(container, _MARKER_DIGEST, bytes(self._placeholder_length))

        def sign_digest(self, document_digest: bytes) -> bytes:
            """The DER CMS container (PAdES B-B) for a document's byte-range digest: one KMS call."""
            if len(document_digest) != len(_MARKER_DIGEST):
                raise RuntimeError(f"expected a {MD_ALGORITHM} digest, got {len(document_digest)} bytes")
            signed_attributes = self._template.signed_attributes(document_digest)
            return self._template.container(signed_attributes, self._kms_sign(signed_attributes))

        def _verify(self, signature: bytes, data: bytes) -> None:
            if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                self._public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            else:
                self._public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())

        def _kms_sign(self, data: bytes) -> bytes:
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
                # ~0.06 ms: kept on every signature (an alias can be pointed at another key).
                self._verify(signature, data)
            except InvalidSignature:
                raise RuntimeError(
                    f"the signing certificate does not belong to KMS key {self.key_id}: "
                    f"check {CERTIFICATE_ENV_VAR}"
                ) from None
            if len(signature) > self._placeholder_length:
                raise RuntimeError(
                    f"KMS returned a {len(signature)}-byte signature; at most {self._placeholder_length} fit"
                )
            return signature

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            """pyHanko's entry point: used for the template (dry run) and by pyHanko's own signing."""
            if digest_algorithm != MD_ALGORITHM:
                raise RuntimeError(f"KMS signing uses {MD_ALGORITHM}, not {digest_algorithm}")
            if dry_run:  # the container's size: the longest signature will do
                return bytes(self._placeholder_length)
            return self._kms_sign(data)

    return SimpleNamespace(Writer=Writer, PdfSigner=PdfSigner, KmsSigner=KmsSigner)
