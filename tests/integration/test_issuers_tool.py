"""tools/issuers.py against the in-process AWS: an issuer onboarded as data plus a key.

What the operator notices: the key it creates is tagged for the issuer and named by its alias, the
certificate in SSM is for that key and names the company, the registry entry signs with that key;
a second run changes nothing; a key of another issuer, a number code of another issuer or a
certificate of another key is refused with nothing written; suspending or retiring keeps the key.
"""
from __future__ import annotations

import os

import json

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from esurety.aws import issuers_repository
from esurety.domain.catalogue.issuer import seed_entries
from esurety.services import issuers
from tools import issuers as tool

STAGE = "test"
WHERE = ["--table", "esurety-test", "--stage", STAGE]


def run(*args: str) -> int:
    return tool.main([*WHERE, *args])


def shinkin(tmp_path, **changes) -> str:
    """A fourth issuer, as an operator writes its file: a 信用金庫 issuing 契約保証 保証書."""
    entry = {
        "issuer_id": "mihon-shinkin", "kind": "bank", "company": "見本信用金庫", "address": "栃木県宇都宮市見本町十一丁目１番",
        "representative": "理事長　見本　次郎", "number_code": "81",
        "products": [{"product": "contract", "document": "bank_guarantee"}],
        "branches": {"11": {"name": "本店営業部", "tel": "028-000-3000"}},
        **changes,
    }
    path = tmp_path / f"{entry['issuer_id']}.json"
    path.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
    return str(path)


def chain_of(parameter: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(boto3.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"].encode())


def public_der(key_id: str) -> bytes:
    return boto3.client("kms").get_public_key(KeyId=key_id)["PublicKey"]


def tags(key_id: str) -> dict:
    return {t["TagKey"]: t["TagValue"] for t in boto3.client("kms").list_resource_tags(KeyId=key_id)["Tags"]}


def issuer_keys() -> list[str]:
    """The keys tagged for an issuer, but the stack's own (tagged for the first surety, as the template tags it)."""
    kms = boto3.client("kms")
    stack = kms.describe_key(KeyId=os.environ["SIGNING_KEY_ID"])["KeyMetadata"]["KeyId"]
    return [k["KeyId"] for k in kms.list_keys()["Keys"] if k["KeyId"] != stack and tags(k["KeyId"]).get(tool.ISSUER_TAG)]


def test_registering_creates_a_tagged_key_a_certificate_for_it_and_the_entry(cloud, tmp_path):
    root_file = tmp_path / "root.pem"
    assert run("register", "--file", shinkin(tmp_path), "--create-key", "--demo-certificate", "--root-out", str(root_file)) == 0

    entry = issuers.get_issuer("mihon-shinkin")
    assert entry.company == "見本信用金庫" and entry.signing is not None
    key = entry.signing.key_id
    assert key.startswith("arn:aws:kms:")  # the ARN: attribute-based policies judge the key itself
    assert tags(key) == {"esurety:issuer": "mihon-shinkin", "esurety:stage": "test"}
    metadata = boto3.client("kms").describe_key(KeyId="alias/esurety-test-issuer-mihon-shinkin")["KeyMetadata"]
    assert metadata["Arn"] == key and metadata["KeySpec"] == "ECC_NIST_P256" and metadata["KeyUsage"] == "SIGN_VERIFY"

    assert entry.signing.certificate_parameter == "/esurety/test/issuers/mihon-shinkin/signing-certificate"
    signer, ca = chain_of(entry.signing.certificate_parameter)
    assert signer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der(key)
    assert signer.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "見本信用金庫"
    root = x509.load_pem_x509_certificate(root_file.read_bytes())
    signer.verify_directly_issued_by(ca)
    ca.verify_directly_issued_by(root)
    assert root.subject == root.issuer and root not in (signer, ca)  # the root is the validator's, not in the chain


def test_registering_again_changes_nothing(cloud, tmp_path, capsys):
    path = shinkin(tmp_path)
    assert run("register", "--file", path, "--create-key", "--demo-certificate", "--root-out", str(tmp_path / "r.pem")) == 0
    parameter = "/esurety/test/issuers/mihon-shinkin/signing-certificate"
    before = (issuer_keys(), boto3.client("ssm").get_parameter(Name=parameter)["Parameter"], issuers_repository.data("mihon-shinkin"))
    capsys.readouterr()

    assert run("register", "--file", path, "--create-key", "--demo-certificate", "--root-out", str(tmp_path / "r.pem")) == 0
    after = (issuer_keys(), boto3.client("ssm").get_parameter(Name=parameter)["Parameter"], issuers_repository.data("mihon-shinkin"))
    assert after == before  # same key, same certificate (same parameter version), same entry
    assert "unchanged" in capsys.readouterr().out


def test_a_key_of_another_issuer_is_refused_and_nothing_is_written(cloud, tmp_path, capsys):
    assert run("register", "--seed", "mihon-sonpo", "--create-key", "--demo-certificate", "--root-out", str(tmp_path / "r.pem")) == 0
    insurer_key = issuers.get_issuer("mihon-sonpo").signing.key_id

    assert run("register", "--file", shinkin(tmp_path), "--key-id", insurer_key, "--demo-certificate") == 2
    assert "mihon-sonpo" in capsys.readouterr().err
    assert issuers.get_issuer("mihon-shinkin") is None
    assert tags(insurer_key)["esurety:issuer"] == "mihon-sonpo"


def test_an_untagged_key_named_for_the_issuer_is_tagged_for_it(cloud, tmp_path):
    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    assert run("register", "--file", shinkin(tmp_path), "--key-id", key, "--demo-certificate", "--root-out", str(tmp_path / "r.pem")) == 0
    assert tags(key) == {"esurety:issuer": "mihon-shinkin", "esurety:stage": "test"}
    assert kms.describe_key(KeyId="alias/esurety-test-issuer-mihon-shinkin")["KeyMetadata"]["Arn"] == key


def test_another_issuers_number_code_is_refused(cloud, tmp_path, capsys):
    issuers.seed()
    assert run("register", "--file", shinkin(tmp_path, number_code="51"), "--create-key", "--demo-certificate") == 2
    assert "mihon-sonpo" in capsys.readouterr().err
    assert issuers.get_issuer("mihon-shinkin") is None and issuer_keys() == []  # refused before any key is made


def test_an_invalid_entry_is_refused_before_anything_is_created(cloud, tmp_path, capsys):
    assert run("register", "--file", shinkin(tmp_path, number_code=None), "--create-key", "--demo-certificate") == 2
    assert "number_code" in capsys.readouterr().err
    assert issuer_keys() == []


def test_the_csr_path_a_real_ca_answers(cloud, tmp_path, capsys):
    """On AWS: the key, a request for it, the CA's certificate, then the entry."""
    csr_file = tmp_path / "shinkin.csr"
    path = shinkin(tmp_path)
    assert run("register", "--file", path, "--create-key", "--csr", str(csr_file)) == 0
    assert issuers.get_issuer("mihon-shinkin") is None  # no certificate yet: not registered
    request = x509.load_pem_x509_csr(csr_file.read_bytes())
    key = boto3.client("kms").describe_key(KeyId="alias/esurety-test-issuer-mihon-shinkin")["KeyMetadata"]["Arn"]
    assert request.is_signature_valid  # signed by the KMS key itself
    assert request.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der(key)
    assert request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "見本信用金庫"

    # A chain for another key is refused; the CA's chain for this one registers the issuer.
    from tools.demo_pki import issuer_chain

    other = boto3.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    wrong = tmp_path / "wrong.pem"
    wrong.write_text(issuer_chain(public_der(other), company="見本信用金庫", issuer_id="mihon-shinkin")[1])
    assert run("register", "--file", path, "--certificate-pem", str(wrong)) == 2
    assert "not for key" in capsys.readouterr().err and issuers.get_issuer("mihon-shinkin") is None

    issued = tmp_path / "issued.pem"
    issued.write_text(issuer_chain(request.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo), company="見本信用金庫", issuer_id="mihon-shinkin")[1])
    assert run("register", "--file", path, "--certificate-pem", str(issued)) == 0
    assert issuers.get_issuer("mihon-shinkin").signing.key_id == key
    stored = boto3.client("ssm").get_parameter(Name="/esurety/test/issuers/mihon-shinkin/signing-certificate")["Parameter"]["Value"]
    assert stored == issued.read_text()


def test_suspending_and_retiring_keep_the_key_and_the_certificate(cloud, tmp_path, capsys):
    path = shinkin(tmp_path)
    assert run("register", "--file", path, "--create-key", "--demo-certificate", "--root-out", str(tmp_path / "r.pem")) == 0
    key = issuers.get_issuer("mihon-shinkin").signing.key_id

    assert run("suspend", "mihon-shinkin") == 0
    assert not issuers.get_issuer("mihon-shinkin").takes_applications()
    assert run("retire", "mihon-shinkin") == 0
    assert "never schedule" in capsys.readouterr().out
    retired = issuers.get_issuer("mihon-shinkin")
    assert retired.status.value == "retired" and retired.signing.key_id == key
    assert boto3.client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert chain_of(retired.signing.certificate_parameter)

    # Registering from the file again (a new phone number) does not bring it back.
    assert run("register", "--file", shinkin(tmp_path, branches={"11": {"name": "本店営業部", "tel": "028-000-3999"}})) == 0
    again = issuers.get_issuer("mihon-shinkin")
    assert again.status.value == "retired" and again.branches[0].tel == "028-000-3999" and again.signing.key_id == key
    assert run("activate", "mihon-shinkin") == 0 and issuers.get_issuer("mihon-shinkin").takes_applications()


def test_the_default_issuer_keeps_the_stacks_key(cloud, tmp_path):
    assert run("register", "--seed", "toto-hosho") == 0
    assert issuers.get_issuer("toto-hosho").signing is None and issuer_keys() == []


def test_another_issuer_needs_a_key(cloud, tmp_path, capsys):
    assert run("register", "--seed", "mirai-bank", "--demo-certificate") == 2
    assert "--create-key" in capsys.readouterr().err and issuers_repository.data("mirai-bank") is None


def test_the_seed_and_the_list(cloud, capsys):
    assert run("seed") == 0
    assert run("list") == 0
    listed = capsys.readouterr().out
    assert all(entry["issuer_id"] in listed for entry in seed_entries())


@pytest.mark.parametrize("command", ["suspend", "retire", "activate"])
def test_an_unknown_issuer_is_refused(cloud, capsys, command):
    assert run(command, "no-such-issuer") == 2
    assert "no issuer no-such-issuer" in capsys.readouterr().err
