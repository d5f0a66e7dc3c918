"""End-to-end fixtures: the real template deployed into the local cloud on a free port."""
from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request

import pytest

from tools.localcloud import demo
from tools.localcloud.__main__ import start_and_deploy
from tools.localcloud.cloud import LocalCloud, free_port


def application_body() -> dict:
    """The application the demo sends (events/bodies/application.json), as the e2e tests post it."""
    import pathlib

    return json.loads((pathlib.Path(__file__).parents[1] / "events" / "bodies" / "application.json").read_text("utf-8"))


class Http:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, token: str | None = None, body=None, headers: dict | None = None):
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"null")
            except ValueError:
                return error.code, raw.decode("utf-8", "replace")


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


@pytest.fixture(scope="module")
def local_cloud(tmp_path_factory):
    cloud = LocalCloud(tmp_path_factory.mktemp("local") / "cloud", free_port())
    try:
        deployed = start_and_deploy(cloud, log=lambda *_: None)
        yield cloud, deployed
    finally:
        cloud.stop()


@pytest.fixture(scope="module")
def http(local_cloud):
    return Http(local_cloud[1]["api_url"])


@pytest.fixture(scope="module")
def tokens(local_cloud):
    cloud, deployed = local_cloud
    return {role: demo.id_token(cloud, deployed["outputs"], role) for role in demo.USERS}


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not true after {timeout} s")


def validate_signature(pdf: bytes, root_pem: str, tsa_root_pem: str):
    """pyHanko's verdict on a PDF's one signature, trusting only `root_pem` (and `tsa_root_pem` for
    its timestamp), fetching nothing."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root, tsa_root = (x509.Certificate.load(pem.unarmor(p.encode())[2]) for p in (root_pem, tsa_root_pem))
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return validate_pdf_signature(
        signature,
        ValidationContext(trust_roots=[root], allow_fetching=False),
        ts_validation_context=ValidationContext(trust_roots=[tsa_root], allow_fetching=False),
    )
