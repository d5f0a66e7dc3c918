"""`python -m tools.localcloud run|token|mail|invoke` (what the Makefile's targets call)."""
from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import demo, mailbox, site
from .cloud import ROOT, AlreadyRunning, LocalCloud, ensure_venv
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
    tsa = demo.start_timestamping(cloud)  # lives as long as this process: the PDFs are B-T
    # The local cloud serves the API and the managed login on its gateway, the site at
    # <label>.cloudfront.localhost on the same port (see the template's LocalCloudPort).
    parameters = {**PARAMETERS, "TimestampUrl": tsa.tsa_url, "LocalCloudPort": str(cloud.port)}
    deployed = deploy(cloud, STACK, STATE_DIR / "build", parameters, log)
    demo.seed(cloud, deployed["outputs"], STACK)
    site.publish_local(cloud, deployed, log)
    cloud.save()  # the stacks and functions as deployed: serve.py writes the rest on each write
    deployed["ready_s"] = round(ready, 2)
    deployed["timestamp_url"] = tsa.tsa_url
    return deployed


def _already_running(busy: AlreadyRunning, port: int) -> None:
    """A second `make run` on the same .local/: say where the running cloud is, and leave it alone."""
    running = busy.holder.get("port")
    api = ""
    if RUN_FILE.exists():
        state = json.loads(RUN_FILE.read_text())
        if state.get("port") == running:
            api = state.get("api_url", "")
    where = f"port {running}" + (f", API: {api}" if api else " (still starting)")
    if running in (None, port):
        print(f"the local cloud is already running on {where} (pid {busy.holder.get('pid', '?')}); leaving it alone")
        sys.exit(0)
    raise SystemExit(
        f"refused: {STATE_DIR} already serves the local cloud on {where}; one folder serves one cloud.\n"
        f"Use that one, stop it (Ctrl-C where it runs), or give a second cloud its own folder: "
        f"ESURETY_LOCAL_DIR=<folder> make run PORT={port}"
    )


def run(args) -> None:
    started = time.monotonic()
    cloud = LocalCloud(STATE_DIR / "cloud", args.port)
    try:  # first of all: is this folder's cloud running already? Then touch nothing.
        cloud.lock()
    except AlreadyRunning as error:
        _already_running(error, args.port)
    _check_debian_packages()
    ensure_venv()
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
    except AlreadyRunning as error:
        _already_running(error, args.port)
    except BaseException:
        cloud.stop()  # only ours: a cloud another process runs is never stopped from here
        raise
    # Four eyes for the demo surety in `make run` only: its staff (栃木 花子) decides, the approver
    # (宇都宮 次郎, `make token ROLE=approver`) approves. The e2e harness deploys without this.
    demo.four_eyes(cloud, STACK, demo.DEFAULT_ISSUER, on=True)
    RUN_FILE.write_text(json.dumps({"endpoint": cloud.endpoint, "port": cloud.port, **deployed}, indent=2, ensure_ascii=False))
    # Contracts kept in .local/ from before the staff's search had its index entries are indexed now
    # (as an operator runs the backfill once on a deployed stack; docs/operations.md); idempotent.
    indexed = subprocess.run([sys.executable, "-m", "tools.contract_index", "--local", "backfill"], capture_output=True, text=True)
    if indexed.returncode != 0:
        print(f"the staff's search index was not backfilled: {indexed.stderr.strip()}", file=sys.stderr)
    elapsed = time.monotonic() - started
    api = deployed["api_url"]
    print(f"API: {api}", flush=True)
    print(f"Web: {deployed['site_url']}/  (Net Desk; /staff/ review desk; /verify 保証確認サービス)", flush=True)
    print(f"(ready in {elapsed:.1f} s; stack {deployed['result']}; local cloud on {cloud.endpoint})")
    print(f"Demo time-stamping authority: {deployed['timestamp_url']} (PDFs are PAdES B-T; its root: .local/cloud/tsa-root.pem)")
    print("\nDemo users (password for all: %s)" % demo.PASSWORD)
    for name, user in demo.USERS.items():
        issuer = user.attributes.get("custom:issuer_id", demo.DEFAULT_ISSUER) if user.role == "staff" else None
        role = f"staff ISSUER={issuer}" if issuer and issuer != demo.DEFAULT_ISSUER else name  # as `make token` takes it
        print(f"  {role:<26} {user.username:<34} {user.attributes.get(demo.NAME, ''):<8} {user.description}")
    secrets = ", ".join(f"{name} {demo.totp_secret(cloud, name)}" for name, user in demo.USERS.items() if user.role == "staff")
    print(f"  (staff sign in with a second factor: TOTP secrets for an authenticator app: {secrets})")
    print("\nIssuers (python -m tools.issuers --local list): each signs with its own key; its PDFs validate against its demo root:")
    for issuer_id in (demo.DEFAULT_ISSUER, *demo.ONBOARDED_ISSUERS):
        print(f"  {issuer_id:<16} {os.path.relpath(demo.issuer_root_file(cloud, issuer_id), ROOT)}")
    print(
        f"""
Try first:
  curl -s {api}/orderers
  TOKEN=$(make -s token ROLE=contractor)
  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
       -d @events/bodies/application.json {api}/applications
  then: staff issues (make -s token ROLE=staff; POST /staff/applications/<id>/issue): four eyes are on for
        toto-hosho, so it waits as an approval; the approver approves it (make -s token ROLE=approver;
        POST /staff/approvals/<approval_id> {{"decision": "approve"}}),
        the contractor reads the key (GET /contracts/<number>), the orderer verifies (POST /verifications).
  make mail      shows the e-mail the contractor received (without the key)
Ctrl-C stops the local cloud; the next `make run` finds everything again.""",
        flush=True,
    )
    while True:  # copy the outbox as it fills: ministack forgets it on a restart or a crash
        time.sleep(2)
        try:
            cloud.save_mail()
        except OSError:
            pass


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
    user = args.user
    if args.issuer:  # make token ROLE=staff ISSUER=<issuer id>: that issuer's demo staff member
        if user != "staff":
            raise SystemExit(f"ISSUER names a staff member's issuer: use it with ROLE=staff, not ROLE={user}")
        user = demo.staff_user(args.issuer)
        if user not in demo.USERS:
            issuers = ", ".join((demo.DEFAULT_ISSUER, *demo.ONBOARDED_ISSUERS))
            raise SystemExit(f"no demo staff member of issuer {args.issuer}: one of {issuers}")
    print(demo.id_token(_cloud(state), state["outputs"], user))


def mail(args) -> None:
    """Every e-mail the local cloud accepted, kept across restarts; works while it is stopped, too."""
    state = json.loads(RUN_FILE.read_text()) if RUN_FILE.exists() else {"port": 0}
    messages = LocalCloud(STATE_DIR / "cloud", state["port"]).mail()
    if not messages:
        print("(no e-mail sent yet)")
    for message in messages:
        print(mailbox.render(message))


def setup(args) -> None:
    """Install the local cloud's virtualenv (tools/bootstrap.sh calls this); quick when it is there."""
    ensure_venv(log=(lambda *_: None) if args.quiet else (lambda *a: print("bootstrap:", *a, file=sys.stderr)))


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
    token_parser.add_argument("--issuer", help="with --user staff: the staff member of this issuer (default: toto-hosho's)")
    commands.add_parser("mail", help="print the e-mails the local cloud accepted (kept across restarts)")
    setup_parser = commands.add_parser("setup", help="install the local cloud's virtualenv")
    setup_parser.add_argument("--quiet", action="store_true")
    invoke_parser = commands.add_parser("invoke", help="run one function on an event file")
    invoke_parser.add_argument("--function", required=True, help="logical id, e.g. ApplyFunction")
    invoke_parser.add_argument("--event", required=True)
    args = parser.parse_args()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    {"run": run, "token": token, "mail": mail, "invoke": invoke, "setup": setup}[args.command](args)


if __name__ == "__main__":
    main()
