"""Onboard an issuer: its registry entry, its KMS signing key and its certificate chain.

    python -m tools.issuers [--local | --stack NAME | --table T --stage S] [--endpoint URL] COMMAND

    register --file issuer.json [--create-key | --key-id KEY] [--certificate-pem FILE | --demo-certificate]
             [--csr FILE] [--root-out FILE]
    suspend ID | retire ID | activate ID
    four-eyes ID on|off
    list
    seed

An issuer is data plus a key: no code change, no template change. `register`

1. validates the entry (`issuer_from_json`: the shape of `esurety/data/issuers.json`'s entries)
   before anything is created, and refuses a `number_code` another issuer already has;
2. finds or makes its KMS key (ECC_NIST_P256, SIGN_VERIFY), tagged `esurety:issuer` = the id and
   `esurety:stage` = the stage, with the alias `alias/esurety-<stage>-issuer-<id>`: `--key-id`
   names an existing key (tagged here if it is not yet; refused if it is another issuer's or
   another stage's), else the key the registry already names, else the alias's key, else
   `--create-key` creates one. The functions may sign with a key only by those tags (the
   template's attribute-based policies), which is why no template edit is needed;
3. puts the certificate chain (signing certificate, then its CA certificates) into SSM
   `/esurety/<stage>/issuers/<id>/signing-certificate`: `--certificate-pem` (what a CA returned
   for `--csr`'s request; its public key must be the KMS key's), or `--demo-certificate` (a
   demo CA of that issuer, tools/demo_pki.py: for the local cloud and demos only, its root
   written to `--root-out`); a parameter that already holds a certificate for the key is kept;
4. writes the registry entry with its `signing` block (the key's ARN, the parameter).

`four-eyes ID on` makes the issuer's 発行, 訂正 and 解約 / 履行請求 wait for a second staff member's
approval (docs/decisions.md, "Four eyes"); `off` makes them one step again (approvals already
waiting stay, to be approved or returned).

Running it again changes nothing: the key is found by its alias, a certificate already in place for
it is kept, an entry equal to the one stored is not written. It never changes an entry's status
(a new entry takes the file's): `suspend`, `retire` and `activate` do, and nothing here ever
disables or deletes a key (docs/operations.md, "Retiring an issuer without losing a certificate").

The default issuer (toto-hosho) may stay without a key of its own: it signs with the stack's
(SIGNING_KEY_ID). The stack: `--local` is the one `make run` runs (`.local/run.json`);
`--stack` reads the table and the stage from a deployed stack; `--table` and `--stage` name them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISSUER_TAG = "esurety:issuer"
STAGE_TAG = "esurety:stage"
KEY_SPEC = "ECC_NIST_P256"
SIGNING_KEY_SPECS = ("ECC_NIST_P256", "ECC_NIST_P384", "RSA_2048", "RSA_3072", "RSA_4096")
LOCAL_REGION = "ap-northeast-1"


class Refused(Exception):
    """What the operator must fix; nothing was written past the step that refused."""


def alias_name(stage: str, issuer_id: str) -> str:
    return f"alias/esurety-{stage}-issuer-{issuer_id}"


def certificate_parameter(stage: str, issuer_id: str) -> str:
    return f"/esurety/{stage}/issuers/{issuer_id}/signing-certificate"


# ----------------------------------------------------------------------------------- the key


def _tags(kms, key_id: str) -> dict[str, str]:
    tags, marker = {}, None
    while True:
        page = kms.list_resource_tags(KeyId=key_id, **({"Marker": marker} if marker else {}))
        tags.update({t["TagKey"]: t["TagValue"] for t in page.get("Tags", [])})
        marker = page.get("NextMarker")
        if not page.get("Truncated") or not marker:
            return tags


def _describe(kms, key_id: str) -> dict | None:
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return None


def _check_key(kms, metadata: dict, issuer_id: str, stage: str) -> list[str]:
    """Refuse a key that cannot sign for this issuer; tag it if it is untagged. Returns what was done."""
    arn = metadata["Arn"]
    if metadata.get("KeyUsage") != "SIGN_VERIFY" or metadata.get("KeySpec") not in SIGNING_KEY_SPECS:
        raise Refused(f"key {arn} is {metadata.get('KeySpec')}/{metadata.get('KeyUsage')}: an issuer's key signs "
                      f"(SIGN_VERIFY, one of {', '.join(SIGNING_KEY_SPECS)})")
    if metadata.get("KeyState") != "Enabled":
        raise Refused(f"key {arn} is {metadata.get('KeyState')}: it cannot sign")
    tags = _tags(kms, arn)
    if tags.get(ISSUER_TAG, issuer_id) != issuer_id:
        raise Refused(f"key {arn} is issuer {tags[ISSUER_TAG]}'s ({ISSUER_TAG}): one key never signs for two issuers")
    if tags.get(STAGE_TAG, stage) != stage:
        raise Refused(f"key {arn} belongs to stage {tags[STAGE_TAG]} ({STAGE_TAG}), not {stage}")
    missing = [{"TagKey": k, "TagValue": v} for k, v in ((ISSUER_TAG, issuer_id), (STAGE_TAG, stage)) if k not in tags]
    if missing:
        kms.tag_resource(KeyId=arn, Tags=missing)
        return [f"tagged key {arn}: " + ", ".join(f"{t['TagKey']}={t['TagValue']}" for t in missing)]
    return []


def _alias_target(kms, alias: str) -> str | None:
    metadata = _describe(kms, alias)
    return metadata["Arn"] if metadata else None


def ensure_key(kms, issuer_id: str, stage: str, *, key_id: str | None, known: str | None, create: bool) -> tuple[str, list[str]]:
    """The ARN of the issuer's signing key and what was done to find or make it.

    `key_id` (the operator's choice) first, then `known` (the key the registry already names),
    then the key of the issuer's alias, then a new key if `create`."""
    alias = alias_name(stage, issuer_id)
    done: list[str] = []
    aliased = _alias_target(kms, alias)
    chosen = key_id or known
    if chosen:
        metadata = _describe(kms, chosen)
        if metadata is None:
            raise Refused(f"no KMS key {chosen}")
    elif aliased:
        metadata = _describe(kms, aliased)
    elif create:
        metadata = kms.create_key(
            KeySpec=KEY_SPEC,
            KeyUsage="SIGN_VERIFY",
            Description=f"esurety {stage}: signs the PDFs of issuer {issuer_id} (PAdES); the private key never leaves KMS",
            Tags=[{"TagKey": ISSUER_TAG, "TagValue": issuer_id}, {"TagKey": STAGE_TAG, "TagValue": stage}],
        )["KeyMetadata"]
        done.append(f"created key {metadata['Arn']} ({KEY_SPEC}, SIGN_VERIFY)")
    else:
        raise Refused(f"issuer {issuer_id} has no signing key yet: give --create-key, or --key-id naming one")
    arn = metadata["Arn"]
    done += _check_key(kms, metadata, issuer_id, stage)
    if aliased is None:
        kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
        done.append(f"alias {alias} → {arn}")
    elif aliased != arn:
        raise Refused(f"{alias} names another key ({aliased}), not {arn}: move the alias yourself "
                      f"(kms update-alias) if the issuer is changing keys, then register again")
    return arn, done


# ----------------------------------------------------------------------------------- the certificate


def _certificates(pem_text: str) -> list:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificates(pem_text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise Refused(f"not a PEM certificate chain: {error}") from None


def _public_der(certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return certificate.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _stored_chain(ssm, parameter: str) -> str | None:
    try:
        return ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None


def _organisation(certificate) -> str | None:
    from cryptography.x509.oid import NameOID

    found = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return found[0].value if found else None


def ensure_certificate(kms, ssm, issuer, key_arn: str, parameter: str, *, pem_file: Path | None, demo: bool,
                       root_out: Path | None) -> tuple[bool, list[str]]:
    """Put the issuer's chain into `parameter` unless a chain for the key is there; (in place?, what was done)."""
    public = kms.get_public_key(KeyId=key_arn)["PublicKey"]
    stored = _stored_chain(ssm, parameter)
    done: list[str] = []
    if pem_file is not None:
        text = pem_file.read_text("ascii")
        chain = _certificates(text)
        if not chain:
            raise Refused(f"{pem_file} holds no certificate")
        if _public_der(chain[0]) != public:
            raise Refused(f"the first certificate of {pem_file} is not for key {key_arn} (another public key)")
        if _organisation(chain[0]) != issuer.company:
            done.append(f"note: the certificate's subject O is {_organisation(chain[0])!r}, not {issuer.company!r}")
        if stored is not None and stored.strip() == text.strip():
            return True, done + [f"{parameter} already holds that chain"]
        _put(ssm, parameter, text)
        return True, done + [f"stored the chain of {pem_file} in {parameter}"]
    if stored is not None:
        try:
            if _public_der(_certificates(stored)[0]) == public:
                return True, [f"{parameter} already holds a certificate for the key: kept"]
        except (Refused, IndexError):
            pass
        if not demo:
            raise Refused(f"{parameter} holds a certificate for another key than {key_arn}: "
                          "give --certificate-pem with the key's certificate")
    if not demo:
        return False, [f"no certificate for the key in {parameter} yet"]
    sys.path.insert(0, str(ROOT))
    from tools.demo_pki import issuer_chain

    root_pem, chain_pem = issuer_chain(public, company=issuer.company, issuer_id=issuer.issuer_id)
    _put(ssm, parameter, chain_pem)
    done.append(f"stored a demo certificate chain (subject O = {issuer.company}) in {parameter}")
    if root_out is not None:
        root_out.parent.mkdir(parents=True, exist_ok=True)
        root_out.write_text(root_pem)
        done.append(f"its demo root CA: {root_out}")
    else:
        done.append("its demo root CA (the trust anchor to validate its PDFs):\n" + root_pem.rstrip())
    return True, done


def _put(ssm, parameter: str, chain: str) -> None:
    ssm.put_parameter(
        Name=parameter, Value=chain, Type="String", Overwrite=True,
        Tier="Advanced" if len(chain.encode()) > 4096 else "Standard",
        Description="esurety: an issuer's PDF signing certificate (PEM), then its CA certificates",
    )


def certificate_request(kms, key_arn: str, issuer) -> str:
    """A PKCS #10 request for the KMS key (subject C=JP, O and CN = the company), signed by kms:Sign."""
    from asn1crypto import csr, keys, pem, x509

    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    rsa = metadata["KeySpec"].startswith("RSA")
    info = csr.CertificationRequestInfo({
        "version": "v1",
        "subject": x509.Name.build({"country_name": "JP", "organization_name": issuer.company, "common_name": issuer.company}),
        "subject_pk_info": keys.PublicKeyInfo.load(kms.get_public_key(KeyId=key_arn)["PublicKey"]),
        "attributes": [],
    })
    signature = kms.sign(
        KeyId=key_arn, Message=info.dump(), MessageType="RAW",
        SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256" if rsa else "ECDSA_SHA_256",
    )["Signature"]
    request = csr.CertificationRequest({
        "certification_request_info": info,
        "signature_algorithm": {"algorithm": "sha256_rsa" if rsa else "sha256_ecdsa"},
        "signature": signature,
    })
    return pem.armor("CERTIFICATE REQUEST", request.dump()).decode("ascii")


# ----------------------------------------------------------------------------------- the commands


@dataclass
class Target:
    table: str
    stage: str


def _entry_file(args) -> dict:
    if args.seed:
        from esurety.domain.catalogue.issuer import seed_entries

        entry = next((e for e in seed_entries() if e.get("issuer_id") == args.seed), None)
        if entry is None:
            raise Refused(f"the packaged seed has no issuer {args.seed}")
        return dict(entry)
    data = json.loads(Path(args.file).read_text("utf-8"))
    if not isinstance(data, dict):
        raise Refused(f"{args.file} must hold one issuer (a JSON object)")
    return data


def register(args, target: Target, kms, ssm) -> int:
    from esurety.domain.catalogue.issuer import DEFAULT_ISSUER_ID, issuer_from_json
    from esurety.aws import issuers_repository

    entry = _entry_file(args)
    try:
        issuer = issuer_from_json(entry)  # before anything is created
    except ValueError as error:
        raise Refused(str(error)) from None
    parameter = certificate_parameter(target.stage, issuer.issuer_id)
    if issuer.signing and issuer.signing.certificate_parameter != parameter:
        raise Refused(f"an issuer's certificate lives in {parameter}, not {issuer.signing.certificate_parameter}")
    stored = issuers_repository.data(issuer.issuer_id)
    for other in issuers_repository.all_data():
        if other["issuer_id"] != issuer.issuer_id and issuer.number_code and other.get("number_code") == issuer.number_code:
            raise Refused(f"number_code {issuer.number_code} is issuer {other['issuer_id']}'s: two issuers never share numbers")
    known = (stored or {}).get("signing", {}).get("key_id") or (issuer.signing.key_id if issuer.signing else None)
    wants_key = args.key_id or known or args.create_key or issuer.issuer_id != DEFAULT_ISSUER_ID
    if not wants_key and not _alias_target(kms, alias_name(target.stage, issuer.issuer_id)):
        # The default issuer without a key of its own signs with the stack's (SIGNING_KEY_ID).
        signing, in_place = None, True
    else:
        key_arn, done = ensure_key(kms, issuer.issuer_id, target.stage, key_id=args.key_id, known=known, create=args.create_key)
        _say(done)
        if args.csr:
            Path(args.csr).write_text(certificate_request(kms, key_arn, issuer))
            _say([f"certificate signing request for {key_arn}: {args.csr} (send it to the CA; "
                  "register again with --certificate-pem and what it returns)"])
        in_place, done = ensure_certificate(
            kms, ssm, issuer, key_arn, parameter, pem_file=Path(args.certificate_pem) if args.certificate_pem else None,
            demo=args.demo_certificate, root_out=Path(args.root_out) if args.root_out else None,
        )
        _say(done)
        signing = {"key_id": key_arn, "certificate_parameter": parameter}
    if not in_place:
        hint = "" if args.csr else " (--csr FILE writes a request for it)"
        print(f"issuer {issuer.issuer_id} not registered yet: its key has no certificate{hint}; then register "
              "again with --certificate-pem FILE (or --demo-certificate, for a demo)")
        return 0 if args.csr else 1
    data = issuer.to_json()
    data.pop("signing", None)
    if signing:
        data["signing"] = signing
    if stored is not None and stored.get("status") != data["status"]:
        print(f"note: issuer {issuer.issuer_id} stays {stored['status']} (the file says {data['status']}): "
              "use suspend / retire / activate to change that")
        data["status"] = stored["status"]
    issuer_from_json(data)  # the entry as written reads back
    if stored == data:
        print(f"issuer {issuer.issuer_id}: registered already, unchanged")
        return 0
    issuers_repository.save(issuer.issuer_id, data)
    print(f"issuer {issuer.issuer_id} ({issuer.company}, {issuer.kind_label}) {'updated' if stored else 'registered'}"
          f" in {target.table}: {data['status']}" + (f", signs with {signing['key_id']}" if signing else ", signs with the stack's key"))
    return 0


def set_status(args, target: Target, status: str) -> int:
    from esurety.aws import issuers_repository
    from esurety.domain.catalogue.issuer import issuer_from_json

    stored = issuers_repository.data(args.issuer_id)
    if stored is None:
        raise Refused(f"no issuer {args.issuer_id} in {target.table}")
    if stored.get("status") == status:
        print(f"issuer {args.issuer_id} is {status} already")
        return 0
    data = {**stored, "status": status}
    issuer_from_json(data)
    issuers_repository.save(args.issuer_id, data)
    print(f"issuer {args.issuer_id}: {stored.get('status')} → {status}")
    if status != "active":
        key = (stored.get("signing") or {}).get("key_id", "the stack's key")
        print(f"  it takes no applications; what it issued stays (the orderer sees it, its PDFs verify).\n"
              f"  Its key ({key}) and its certificate parameter are kept: never schedule that key's deletion while "
              f"a certificate it signed exists (docs/operations.md).")
    return 0


def set_four_eyes(args, target: Target) -> int:
    from esurety.aws import issuers_repository
    from esurety.domain.catalogue.issuer import issuer_from_json

    stored = issuers_repository.data(args.issuer_id)
    if stored is None:
        raise Refused(f"no issuer {args.issuer_id} in {target.table}")
    wanted = args.setting == "on"
    if bool(stored.get("four_eyes")) == wanted:
        print(f"issuer {args.issuer_id}: four eyes {args.setting} already")
        return 0
    data = {**stored, "four_eyes": wanted}
    issuer_from_json(data)
    issuers_repository.save(args.issuer_id, data)
    print(f"issuer {args.issuer_id}: four eyes {'on: 発行, 訂正 and 解約 / 履行請求 wait for a second staff member' if wanted else 'off: one step'}")
    return 0


def list_issuers(args, target: Target) -> int:
    from esurety.services import issuers

    for issuer in issuers.list_issuers():
        key = issuer.signing.key_id if issuer.signing else "(the stack's key)"
        print(f"{issuer.issuer_id:<16} {issuer.kind.value:<8} {issuer.status.value:<10} {issuer.number_code or '--':<3} "
              f"{issuer.company}  {key}")
    return 0


def seed(args, target: Target) -> int:
    from esurety.services import issuers

    print(f"seeded {issuers.seed()} issuers into {target.table}")
    return 0


def _say(lines: list[str]) -> None:
    for line in lines:
        print(line)


# ----------------------------------------------------------------------------------- where


def _local_run_state() -> dict:
    state_dir = Path(os.environ.get("ESURETY_LOCAL_DIR", ROOT / ".local"))
    run_file = state_dir / "run.json"
    if not run_file.exists():
        raise Refused("the local cloud is not running: start it with `make run`")
    return json.loads(run_file.read_text())


def _local_environment(endpoint: str) -> None:
    """The local cloud's address and its test credentials (no developer profile leaks into it)."""
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
    })
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def resolve_target(args) -> Target:
    """The table and stage; sets the environment the esurety package and boto3 read (before they are imported)."""
    import boto3

    stack = args.stack
    if args.local:
        state = _local_run_state()
        _local_environment(state["endpoint"])
        stack = state.get("stack", "esurety-local")
    elif args.endpoint:
        _local_environment(args.endpoint)
    table, stage = args.table, args.stage
    if not stack:
        table = table or os.environ.get("TABLE_NAME")  # a stack named says its own table
    if stack:
        described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
        table = table or outputs["TableName"]
        stage = stage or parameters.get("Stage")
    if not table or not stage:
        raise Refused("name the stack: --local, --stack NAME, or --table and --stage")
    os.environ["TABLE_NAME"] = table  # the models read it at import
    return Target(table, stage)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.issuers", description=__doc__.splitlines()[0])
    where = parser.add_argument_group("the stack")
    where.add_argument("--local", action="store_true", help="the local cloud `make run` runs")
    where.add_argument("--stack", help="a deployed stack's name (its table and stage are read from it)")
    where.add_argument("--table", help="the table (default: the stack's, else $TABLE_NAME)")
    where.add_argument("--stage", help="the stack's Stage parameter (part of the key alias and parameter names)")
    where.add_argument("--endpoint", help="an AWS endpoint URL (a local cloud: its test credentials are used)")
    commands = parser.add_subparsers(dest="command", required=True)
    reg = commands.add_parser("register", help="validate, make or name the key, store the certificate, write the entry")
    source = reg.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="the issuer's entry (JSON, the shape of esurety/data/issuers.json's entries)")
    source.add_argument("--seed", metavar="ID", help="the packaged seed's entry of that issuer (the demo's)")
    key = reg.add_mutually_exclusive_group()
    key.add_argument("--create-key", action="store_true", help="create the key if the issuer's alias names none")
    key.add_argument("--key-id", help="an existing KMS key (id, ARN or alias) to sign with")
    certificate = reg.add_mutually_exclusive_group()
    certificate.add_argument("--certificate-pem", help="the chain a CA issued for the key (signing certificate first)")
    certificate.add_argument("--demo-certificate", action="store_true", help="a demo CA of this issuer certifies the key (not for production)")
    reg.add_argument("--csr", help="write a certificate signing request for the key to this file")
    reg.add_argument("--root-out", help="with --demo-certificate: write the demo root CA here")
    for name, help_text in (("suspend", "take no applications for now"), ("retire", "take no applications again"),
                            ("activate", "take applications")):
        commands.add_parser(name, help=help_text).add_argument("issuer_id")
    four = commands.add_parser("four-eyes", help="a second staff member approves 発行, 訂正 and 解約 (on) or not (off)")
    four.add_argument("issuer_id")
    four.add_argument("setting", choices=("on", "off"))
    commands.add_parser("list", help="the registry")
    commands.add_parser("seed", help="write the packaged seed's issuers the registry does not have yet")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "layers" / "common"))
    try:
        target = resolve_target(args)
        import boto3

        if args.command == "register":
            return register(args, target, boto3.client("kms"), boto3.client("ssm"))
        if args.command in ("suspend", "retire", "activate"):
            return set_status(args, target, {"suspend": "suspended", "retire": "retired", "activate": "active"}[args.command])
        return {"list": list_issuers, "seed": seed, "four-eyes": set_four_eyes}[args.command](args, target)
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
