"""A demo signing certificate for the KMS signing key: throwaway root CA, certificate into SSM.

    python tools/signing_certificate.py --key-id <stack output SigningKeyId> \\
        --parameter /esurety/signing-certificate --root-out esurety-demo-root.pem [--if-absent]

The PDFs are signed with a private key that never leaves AWS KMS (`esurety.aws.signing`); the
certificate that names the signer and carries that key's public half is configuration: the SSM
parameter `SIGNING_CERTIFICATE_PARAMETER` holds its PEM, followed by any intermediate CA
certificates (never the root). This tool makes such a certificate for demos and tests:

1. it generates a root CA key in memory and self-signs a root certificate, clearly marked as a
   demo ("esurety demo root CA (not for production)");
2. it reads the KMS key's public key (`kms:GetPublicKey`) and issues a certificate for it, with
   key usage digitalSignature + nonRepudiation, valid for three years;
3. it drops the CA key: nothing more can ever be issued under that root;
4. the CLI stores the signing certificate in the parameter (`PutParameter`, Type String,
   Overwrite) and writes the root certificate to `--root-out` (or prints it): the trust anchor
   that whoever checks the signatures (tests, a demo orderer's PDF reader) must be given.

Production differs in who issues the certificate, not in how it is used:

- the operator creates a certificate signing request for the KMS key's public key (for example
  with a tool that signs the CSR through `kms:Sign`, since the private key cannot be exported),
  and submits it to a real CA (a qualified / commercial document-signing CA whose root the
  orderers' PDF readers trust, e.g. through the AATL);
- the operator stores what the CA returns, the signing certificate PEM followed by its
  intermediate CA certificates, in the same parameter (a chain above 4 KB needs the Advanced
  tier); no code or template change, and the functions pick it up on their next cold start;
- before the certificate expires, the same is done again (a new certificate for the same key, or
  a new key and a new certificate together, changing `SIGNING_KEY_ID` by a deployment).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEFAULT_SUBJECT_CN = "東都建設保証株式会社 電子保証（デモ）"
ROOT_CN = "esurety demo root CA (not for production)"
DEMO_ORGANISATION = "esurety demo"
SIGNING_VALIDITY = _dt.timedelta(days=3 * 365)
ROOT_VALIDITY = _dt.timedelta(days=10 * 365)
BACKDATE = _dt.timedelta(days=1)  # tolerate clock skew between issuer and validators


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def issue_demo_certificate(kms_client, key_id: str, subject_cn: str = DEFAULT_SUBJECT_CN) -> tuple[str, str]:
    """(root CA PEM, signing certificate PEM) for the public key of KMS key `key_id`.

    The root CA key exists only inside this call.
    """
    public_key = serialization.load_der_public_key(kms_client.get_public_key(KeyId=key_id)["PublicKey"])
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(ROOT_CN)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signing = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_cn))
        .issuer_name(root_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + SIGNING_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=True),  # content_commitment: nonRepudiation
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    del ca_key  # forgotten: the root can issue nothing else
    return _pem(root), _pem(signing)



def _key_usage(**granted: bool) -> x509.KeyUsage:
    """A KeyUsage extension granting only the named usages."""
    usages = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
              "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{usage: granted.get(usage, False) for usage in usages})


def parameter_exists(ssm_client, parameter: str) -> bool:
    try:
        ssm_client.get_parameter(Name=parameter)
        return True
    except ssm_client.exceptions.ParameterNotFound:
        return False


def store_demo_certificate(
    kms_client,
    ssm_client,
    key_id: str,
    parameter: str,
    subject_cn: str = DEFAULT_SUBJECT_CN,
    *,
    if_absent: bool = False,
) -> str | None:
    """Issue a demo certificate for `key_id` and store it in SSM `parameter`; the root CA PEM.

    With `if_absent`, an existing parameter is left alone and None is returned (the root that
    issued the stored certificate is whatever the earlier call returned).
    """
    if if_absent and parameter_exists(ssm_client, parameter):
        return None
    root_pem, signing_pem = issue_demo_certificate(kms_client, key_id, subject_cn)
    ssm_client.put_parameter(
        Name=parameter,
        Value=signing_pem,  # the chain without the root; a demo chain has no intermediate
        Type="String",
        Overwrite=True,
        Description="esurety PDF signing certificate (PEM, then intermediate CAs)",
    )
    return root_pem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key-id", required=True, help="KMS signing key id, ARN or alias (stack output SigningKeyId)")
    parser.add_argument("--parameter", required=True, help="SSM parameter name, e.g. /esurety/signing-certificate")
    parser.add_argument("--root-out", help="file to write the demo root CA PEM to (default: standard output)")
    parser.add_argument("--subject-cn", default=DEFAULT_SUBJECT_CN, help="common name of the signing certificate")
    parser.add_argument("--if-absent", action="store_true", help="do nothing if the parameter already exists")
    args = parser.parse_args(argv)

    import boto3

    root_pem = store_demo_certificate(
        boto3.client("kms"), boto3.client("ssm"), args.key_id, args.parameter, args.subject_cn, if_absent=args.if_absent
    )
    if root_pem is None:
        print(f"{args.parameter} already exists; left unchanged", file=sys.stderr)
        return 0
    if args.root_out:
        with open(args.root_out, "w", encoding="ascii") as handle:
            handle.write(root_pem)
        print(f"stored the signing certificate in {args.parameter}; demo root CA in {args.root_out}", file=sys.stderr)
    else:
        sys.stdout.write(root_pem)
        print(f"stored the signing certificate in {args.parameter}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
