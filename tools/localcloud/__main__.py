"""`python -m tools.localcloud run|token|mail|invoke` (what the Makefile's targets call)."""
from __future__ import annotations

import argparse
import base64
from datetime import datetime
import json
import os
import signal
import sys
import time
from pathlib import Path

from . import demo, site
from .cloud import ROOT, LocalCloud, ensure_venv
from .deploy import deploy

STATE_DIR = Path(os.environ.get("ESURETY_LOCAL_DIR", ROOT / ".local"))  # git-ignored
RUN_FILE = STATE_DIR / "run.json"
STACK = "esurety-local"
# The key administrator: a role of the local cloud's account (which checks no key policy).
PARAMETERS = {"Stage": "local", "MailFrom": demo.MAIL_FROM, "KeyAdministratorArn": "arn:aws:iam::000000000000:role/esurety-key-administrator"}
FONTS = (Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"), Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"))


def _check_debian_packages() -> None:
    import shutil

    missing = []
    if not all(f.exists() for f in FONTS):
        missing.append("fonts-ipaexfont")
    if not shutil.which("make"):
        missing.append("make")
    if missing:
        raise SystemExit(f"esurety needs Debian packages: sudo apt-get install {' '.join(missing)}")


def start_and_deploy(cloud: LocalCloud, log=print) -> dict:
    ready = cloud.start()
    # The local cloud serves the API and the managed login on its gateway, the site at
    # <label>.cloudfront.localhost on the same port (see the template's LocalCloudPort).
    parameters = {**PARAMETERS, "LocalCloudPort": str(cloud.port)}
    deployed = deploy(cloud, STACK, STATE_DIR / "build", parameters, log)
    demo.seed(cloud, deployed["outputs"])
    site.publish_local(cloud, deployed, log)
    deployed["ready_s"] = round(ready, 2)
    return deployed


def run(args) -> None:
    started = time.monotonic()
    _check_debian_packages()
    ensure_venv()
    cloud = LocalCloud(STATE_DIR / "cloud", args.port)
    stopping = False

    def stop(*_):
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nstopping the local cloud (state is saved under .local/) ...", flush=True)
            cloud.stop()
            sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        deployed = start_and_deploy(cloud)
    except BaseException:
        cloud.stop()
        raise
    RUN_FILE.write_text(json.dumps({"endpoint": cloud.endpoint, "port": cloud.port, **deployed}, indent=2, ensure_ascii=False))
    elapsed = time.monotonic() - started
    api = deployed["api_url"]
    print(f"API: {api}", flush=True)
    print(f"Web: {deployed['site_url']}/  (Net Desk; /staff/ review desk; /verify 保証確認サービス)", flush=True)
    print(f"(ready in {elapsed:.1f} s; stack {deployed['result']}; local cloud on {cloud.endpoint})")
    print("\nDemo users (password for all: %s)" % demo.PASSWORD)
    for user in demo.USERS.values():
        print(f"  {user.role:<10} {user.username:<26} {user.description}")
    print(f"  (staff sign in with a second factor: TOTP secret {demo.totp_secret(cloud)} for an authenticator app)")
    print(
        f"""
Try first:
  curl -s {api}/orderers
  TOKEN=$(make -s token USER=contractor)
  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
       -d @events/bodies/application.json {api}/applications
  then: staff issues (make -s token USER=staff; POST /staff/applications/<id>/issue),
        the contractor reads the key (GET /contracts/<number>), the orderer verifies (POST /verifications).
  make mail      shows the e-mail the contractor received (without the key)
Ctrl-C stops the local cloud; the next `make run` finds everything again.""",
        flush=True,
    )
    while True:
        time.sleep(3600)


def _run_state() -> dict:
    if not RUN_FILE.exists():
        raise SystemExit("the local cloud is not running: start it with `make run`")
    return json.loads(RUN_FILE.read_text())


def _cloud(state: dict) -> LocalCloud:
    cloud = LocalCloud(STATE_DIR / "cloud", state["port"])
    if cloud.running_pid() is None:
        raise SystemExit("the local cloud is not running: start it with `make run`")
    return cloud


def token(args) -> None:
    state = _run_state()
    print(demo.id_token(_cloud(state), state["outputs"], args.user))


def mail(args) -> None:
    messages = _cloud(_run_state()).outbox()
    if not messages:
        print("(no e-mail sent yet)")
    for message in messages:
        sent = message.get("Timestamp")
        when = datetime.fromtimestamp(float(sent)).astimezone().isoformat(timespec="seconds") if sent else ""
        print(f"--- {when}\nFrom: {message.get('Source')}\nTo: {', '.join(message.get('To') or [])}")
        print(f"Subject: {message.get('Subject')}\n\n{message.get('BodyText') or message.get('BodyHtml') or ''}")


def invoke(args) -> None:
    state = _run_state()
    cloud = _cloud(state)
    function = state["functions"].get(args.function)
    if function is None:
        raise SystemExit(f"no function {args.function}; the template has: {', '.join(sorted(state['functions']))}")
    payload = Path(args.event).read_bytes()
    answer = cloud.client("lambda").invoke(FunctionName=function, Payload=payload, LogType="Tail")
    if answer.get("LogResult"):
        print(base64.b64decode(answer["LogResult"]).decode("utf-8", "replace"), file=sys.stderr)
    result = json.loads(answer["Payload"].read() or b"null")
    if isinstance(result, dict) and isinstance(result.get("body"), str):
        try:
            result["body"] = json.loads(result["body"])
        except ValueError:
            pass
    print(json.dumps(result, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.localcloud")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the local cloud, deploy, seed, wait for Ctrl-C")
    run_parser.add_argument("--port", type=int, default=4566)
    token_parser = commands.add_parser("token", help="print an ID token of a demo user")
    token_parser.add_argument("--user", choices=sorted(demo.USERS), required=True)
    commands.add_parser("mail", help="print the local SES outbox")
    invoke_parser = commands.add_parser("invoke", help="run one function on an event file")
    invoke_parser.add_argument("--function", required=True, help="logical id, e.g. ApplyFunction")
    invoke_parser.add_argument("--event", required=True)
    args = parser.parse_args()
    STATE_DIR.mkdir(exist_ok=True)
    {"run": run, "token": token, "mail": mail, "invoke": invoke}[args.command](args)


if __name__ == "__main__":
    main()
