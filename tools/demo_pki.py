"""A throwaway PKI with a time-stamping authority, served on 127.0.0.1: for tests and `make run`.

Made with certomancer (by pyHanko's author) from a configuration written here: a root CA, an
intermediate CA, a time-stamping authority (RFC 3161) certified by the root, and the CRLs of both
CAs, all served over HTTP by certomancer's Animator (a WSGI app) in a daemon thread. Given the
public key of the KMS signing key, it also certifies that key under the intermediate CA, with the
CRL distribution point in the certificate: a signing certificate whose revocation status a
validator can fetch, so pyHanko can embed it (PAdES B-LT).

    pki = DemoPki(directory, signer_public_key=kms.get_public_key(...)["PublicKey"]).start()
    pki.tsa_url           # TIMESTAMP_URL
    pki.signing_chain()   # signing certificate + intermediate (PEM), + root for B-LT

`issuer_chain(public_key, company=..., issuer_id=...)` makes a demo CA of one issuer (a root and
a signing CA of its own, made with `cryptography`, their keys dropped once the certificate is
issued) and certifies that issuer's KMS key under it: what tools/issuers.py stores for each
issuer it registers with `--demo-certificate`, so that each issuer's PDFs validate against that
issuer's root and no other.

The keys (EC P-256) are made once and kept in `directory`; the certificates are issued again
at every start (same names, keys and serial numbers). Nothing here is for production.
"""
from __future__ import annotations

import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

ARCH = "esurety-demo"
KEYS = ("root", "interm", "tsa")


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # no access log on stderr
        pass


def _config(url: str, with_signer: bool) -> str:
    signer_key = "\n      signer: {path: signer.pub.pem, public-only: true}" if with_signer else ""
    signer_cert = """
      signer:
        issuer: interm
        validity: {valid-from: "2020-01-01T00:00:00+0000", valid-to: "2060-01-01T00:00:00+0000"}
        profiles: [digsig-commitment]""" if with_signer else ""
    return f"""
external-url-prefix: "{url}"
keysets:
  demo:
    keys:
      root: {{path: root.key.pem}}
      interm: {{path: interm.key.pem}}
      tsa: {{path: tsa.key.pem}}{signer_key}
pki-architectures:
  {ARCH}:
    keyset: demo
    entity-defaults: {{country-name: JP, organization-name: esurety demo (not for production)}}
    entities:
      root: {{common-name: esurety demo PKI root}}
      interm: {{common-name: esurety demo signing CA}}
      tsa: {{common-name: esurety demo time-stamping authority}}
      signer: {{common-name: esurety demo signer}}
    certs:
      root:
        subject: root
        issuer: root
        validity: {{valid-from: "2020-01-01T00:00:00+0000", valid-to: "2070-01-01T00:00:00+0000"}}
        profiles: [{{id: simple-ca, params: {{crl-repo: root}}}}]
      interm:
        issuer: root
        validity: {{valid-from: "2020-01-01T00:00:00+0000", valid-to: "2065-01-01T00:00:00+0000"}}
        profiles: [{{id: simple-ca, params: {{max-path-len: 0, crl-repo: interm}}}}]
      tsa:
        issuer: root
        validity: {{valid-from: "2020-01-01T00:00:00+0000", valid-to: "2060-01-01T00:00:00+0000"}}
        extensions:
          - {{id: key_usage, critical: true, smart-value: {{schema: key-usage, params: [digital_signature]}}}}
          - {{id: extended_key_usage, critical: true, value: [time_stamping]}}
          - {{id: crl_distribution_points, smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [root]}}}}}}
{signer_cert}
    services:
      crl-repo:
        root: {{for-issuer: root, signing-key: root, simulated-update-schedule: "P30D"}}
        interm: {{for-issuer: interm, signing-key: interm, simulated-update-schedule: "P30D"}}
      time-stamping:
        tsa: {{signing-key: tsa, signing-cert: tsa}}
"""


def _ensure_keys(directory: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory.mkdir(parents=True, exist_ok=True)
    for name in KEYS:
        path = directory / f"{name}.key.pem"
        if not path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            path.write_bytes(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ))
            path.chmod(0o600)


class DemoPki:
    def __init__(self, directory: Path, signer_public_key: bytes | None = None, port: int = 0):
        self.directory = Path(directory)
        self.signer_public_key = signer_public_key  # DER SubjectPublicKeyInfo, as kms:GetPublicKey gives it
        self.port = port
        self._server = None

    def start(self) -> "DemoPki":
        from certomancer.integrations.animator import Animator, AnimatorArchStore
        from certomancer.registry import CertomancerConfig
        from cryptography.hazmat.primitives import serialization

        _ensure_keys(self.directory)
        if self.signer_public_key is not None:
            public = serialization.load_der_public_key(self.signer_public_key)
            (self.directory / "signer.pub.pem").write_bytes(public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ))
        app = {}
        self._server = make_server("127.0.0.1", self.port, lambda env, start: app["wsgi"](env, start), handler_class=_Quiet)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        config = CertomancerConfig.from_yaml(
            _config(self.url, self.signer_public_key is not None), key_search_dir=str(self.directory)
        )
        self.arch = config.get_pki_arch(ARCH)
        app["wsgi"] = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
        threading.Thread(target=self._server.serve_forever, name="demo-pki", daemon=True).start()
        self.tsa_url = self.arch.service_registry.get_tsa_info("tsa").url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def pem(self, label: str) -> str:
        from asn1crypto import pem

        return pem.armor("CERTIFICATE", self.arch.get_cert(label).dump()).decode("ascii")

    def signing_chain(self, with_root: bool) -> str:
        """The SSM parameter's value: signing certificate, intermediate CA, and the root if asked."""
        return "".join(self.pem(label) for label in ("signer", "interm", *(("root",) if with_root else ())))


ISSUER_SIGNING_VALIDITY_DAYS = 3 * 365
ISSUER_CA_VALIDITY_DAYS = 10 * 365


def issuer_chain(public_key: bytes, *, company: str, issuer_id: str) -> tuple[str, str]:
    """(root PEM, chain PEM) of a demo CA of one issuer, for its KMS key's public key.

    `public_key` is the DER SubjectPublicKeyInfo `kms:GetPublicKey` gives. The chain (the SSM
    parameter's value) is the signing certificate, subject O = the issuer's company, then the
    issuer's signing CA; the root (the trust anchor a validator is given) is not in it. The CA keys
    exist only inside this call: nothing else can ever be issued under that root.
    """
    import datetime as _dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tools.signing_certificate import BACKDATE, _key_usage

    def name(common_name: str, organisation: str) -> x509.Name:
        return x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ])

    def certificate(subject, issuer_name, subject_key, signing_key, issuer_key, days, ca: bool, path_length=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(subject_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
            .add_extension(
                _key_usage(key_cert_sign=True, crl_sign=True) if ca
                else _key_usage(digital_signature=True, content_commitment=True),  # nonRepudiation
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False)
        )
        return builder.sign(signing_key, hashes.SHA256())

    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    signer_key = serialization.load_der_public_key(public_key)
    root_key, ca_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    demo = f"esurety demo, {issuer_id} (not for production)"
    root_name = name(f"{company} デモルート認証局", demo)
    ca_name = name(f"{company} デモ署名用認証局", demo)
    root = certificate(root_name, root_name, root_key.public_key(), root_key, root_key.public_key(),
                       ISSUER_CA_VALIDITY_DAYS, ca=True, path_length=1)
    ca = certificate(ca_name, root_name, ca_key.public_key(), root_key, root_key.public_key(),
                     ISSUER_CA_VALIDITY_DAYS, ca=True, path_length=0)
    signer = certificate(name(f"{company} 電子保証（デモ）", company), ca_name, signer_key, ca_key, ca_key.public_key(),
                         ISSUER_SIGNING_VALIDITY_DAYS, ca=False)
    del root_key, ca_key  # forgotten: this root can issue nothing else

    def pem(cert) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    return pem(root), pem(signer) + pem(ca)


def main(argv: list[str] | None = None) -> int:
    """Serve the PKI in its own process: `python -m tools.demo_pki --dir D [--signer-public-key F]`.

    Writes `signing-chain.pem` (signer + CA) and `root.pem` into D when a signer key is given,
    then prints the TSA's URL on one line and serves until killed."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--signer-public-key", type=Path, help="DER SubjectPublicKeyInfo of the signing key")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    public_key = args.signer_public_key.read_bytes() if args.signer_public_key else None
    pki = DemoPki(args.dir, signer_public_key=public_key, port=args.port).start()
    (args.dir / "root.pem").write_text(pki.pem("root"))
    if public_key is not None:
        (args.dir / "signing-chain.pem").write_text(pki.signing_chain(with_root=False))
    print(pki.tsa_url, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    raise SystemExit(main())
