"""Staff issue → published, end to end, with a realistic KMS round trip; and the signed sizes.

    .venv/bin/python bench/issue_to_published.py [--runs 15] [--kms-ms 20] [--level B-B|B-T|B-LT] [--code DIR]

In one process, against an in-process moto account made as tests/conftest.py makes it: for each
run a contractor applies (not timed), then the timed part: the issue function answers the staff
member's `POST /staff/applications/{id}/issue` (number, key, render and sign the certificate and
the fee statement, store them) and the publish function handles the S3 arrival of the certificate
(render and sign the notice, mark the version published, send the e-mail). Every KMS call
(`Encrypt` of the auth key, `Sign` per PDF, `Decrypt` on publication) is delayed by `--kms-ms`
(default 20 ms, a realistic round trip on AWS) through a botocore `before-send` hook.

`--level B-T` and `--level B-LT` start the certomancer test PKI of tools/demo_pki.py on 127.0.0.1,
in a process of its own (a TSA, CRLs, a signing certificate for the KMS key under its CA) and set TIMESTAMP_URL; B-LT also
puts the root into the certificate parameter. The TSA answers on the loopback: a TSA on the
internet adds its own round trip per signature. `--code DIR` runs another checkout's esurety and
functions (e.g. the code before a change) with this script.

The wall-clock time includes the KMS delays (and, on a busy machine, waiting for a CPU); the CPU
time of the process is the work itself, steadier when other processes compete. Prints the median
and the spread of both for the timed part and the signed sizes of the last run's
certificate, fee statement and notice, then the same as one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--kms-ms", type=float, default=20.0, help="delay added to every KMS call")
    parser.add_argument("--level", choices=("B-B", "B-T", "B-LT"), default="B-B")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose esurety and functions run")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    sys.path[:0] = [str(code / "layers" / "common"), str(code / "tests"), str(code), str(ROOT)]

    import conftest  # sets the environment the way the tests do, before esurety is imported
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    import boto3

    from esurety import aws
    from esurety.domain.japanese import clock
    from esurety.aws import keys, signing
    from esurety.config import settings
    from esurety.aws.models import create_table
    from esurety.services import registry
    from tools.signing_certificate import store_demo_certificate

    assert Path(signing.__file__).is_relative_to(code), signing.__file__
    clock.now = lambda: conftest.FROZEN_NOW  # the sample application's dates are valid on that day
    boto3.client("s3").create_bucket(
        Bucket=settings().bucket_name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    create_table()
    kms = boto3.client("kms")
    kms.create_alias(AliasName=settings().key_id, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    signing_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=os.environ["SIGNING_KEY_ID"], TargetKeyId=signing_key)
    parameter = os.environ["SIGNING_CERTIFICATE_PARAMETER"]
    store_demo_certificate(kms, boto3.client("ssm"), signing_key, parameter)
    boto3.client("secretsmanager").create_secret(Name=settings().pepper_secret_id, SecretString="pepper-for-bench-0123456789")
    boto3.client("ses").verify_email_identity(EmailAddress=settings().mail_from)
    registry.seed()
    pki = None
    if args.level != "B-B":  # the PKI in a process of its own: its work is not this process's CPU time
        import subprocess

        directory = Path(tempfile.mkdtemp()) / "pki"
        directory.mkdir()
        (directory / "signer.der").write_bytes(kms.get_public_key(KeyId=signing_key)["PublicKey"])
        pki = subprocess.Popen(
            [sys.executable, "-m", "tools.demo_pki", "--dir", str(directory), "--signer-public-key", str(directory / "signer.der")],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        os.environ["TIMESTAMP_URL"] = pki.stdout.readline().strip()
        chain = (directory / "signing-chain.pem").read_text()
        if args.level == "B-LT":
            chain += (directory / "root.pem").read_text()
        boto3.client("ssm").put_parameter(Name=parameter, Value=chain, Type="String", Overwrite=True)
    keys.forget()
    signing.forget()

    kms_calls = []

    def delay(**kwargs):
        kms_calls.append(kwargs.get("event_name"))
        time.sleep(args.kms_ms / 1000)

    aws.client("kms").meta.events.register("before-send.kms", delay)

    handlers = {
        "apply": conftest.load_handler("functions/apply/app.py", "bench_fn_apply"),
        "issue": conftest.load_handler("functions/issue/app.py", "bench_fn_issue"),
        "publish": conftest.load_handler("functions/issue/publish.py", "bench_fn_publish"),
        "verify": conftest.load_handler("functions/verify/app.py", "bench_fn_verify"),
    }
    api = conftest.Api(handlers)
    s3 = boto3.client("s3")
    durations, cpu, per_run_kms = [], [], []
    for run in range(args.runs + 2):  # the first two warm the process (pyHanko's first use, the TSA client)
        status, created = api.post("/applications", conftest.CONTRACTOR_A, conftest.application_body())
        assert status == 201, created
        kms_calls.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", conftest.STAFF)
        assert status == 202, issued
        number = issued["contract_number"]
        event = conftest.s3_put_event(f"certificates/{number}/v001.pdf")
        handlers["publish"].lambda_handler(event, conftest.LambdaContext())
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if run >= 2:
            durations.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
            per_run_kms.append(len(kms_calls))
    state = api.get(f"/contracts/{number}", conftest.CONTRACTOR_A)[1]
    assert state["certificate"] is not None, state

    sizes = {}
    for key in (o["Key"] for o in s3.list_objects_v2(Bucket=settings().bucket_name)["Contents"]):
        if f"/{number}/" in key or key.endswith(f"{number}.pdf"):
            sizes[key.replace(number, "{number}")] = s3.head_object(Bucket=settings().bucket_name, Key=key)["ContentLength"]
    if pki is not None:
        pki.terminate()
        pki.wait()
    mock.stop()

    result = {
        "python": platform.python_version(),
        "code": str(code),
        "level": args.level,
        "kms_ms": args.kms_ms,
        "runs": args.runs,
        "median_ms": round(statistics.median(durations), 1),
        "min_ms": round(min(durations), 1),
        "max_ms": round(max(durations), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "cpu_min_ms": round(min(cpu), 1),
        "kms_calls_per_run": statistics.median(per_run_kms),
        "signed_bytes": sizes,
    }
    print(f"{args.level}, KMS +{args.kms_ms:g} ms per call, {args.runs} runs, code {code}")
    print(f"staff issue -> published: median {result['median_ms']} ms (min {result['min_ms']}, max {result['max_ms']}),"
          f" {result['kms_calls_per_run']:g} KMS calls; CPU of this process: median {result['cpu_median_ms']} ms"
          f" (min {result['cpu_min_ms']})")
    for key, size in sorted(sizes.items()):
        print(f"  {key:<40} {size:>7,} B")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
