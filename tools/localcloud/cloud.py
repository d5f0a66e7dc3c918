"""Start, wait for and stop ministack; state lives under one data folder."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

from . import mailbox

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venvs" / "ministack"
SERVE = Path(__file__).resolve().parent / "serve.py"
REGION = "ap-northeast-1"
# ministack pins botocore exactly; boto3 must match it. cryptography signs and checks Cognito JWTs
# (without it every token is refused, silently); aws-sam-translator applies the SAM transform;
# snapshot-restore-py is the SnapStart hook registry Lambda's runtime has: with it, ministack runs
# a published SnapStart version's before-snapshot and after-restore hooks, as AWS does.
REQUIREMENTS = [
    "ministack==1.5.33",
    "boto3==1.43.106",
    "botocore==1.43.106",
    "cryptography==50.0.2",
    "aws-sam-translator==1.115.0",
    "snapshot-restore-py==1.0.0",
]


def lambda_python_candidates() -> list[str]:
    """The functions run on ministack's own interpreter: prefer the template's runtime, 3.12."""
    found = []
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for version_dir in sorted(pyenv_root.glob("versions/3.12.*"), reverse=True):
        found.append(str(version_dir / "bin" / "python3.12"))
    for name in ("python3.12", "python3.13", "python3"):
        path = shutil.which(name)
        if path:
            found.append(path)
    return [p for p in found if Path(p).exists()]


def _has_pip(python: Path) -> bool:
    return python.exists() and subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True).returncode == 0


def ensure_venv(log=print) -> Path:
    """Create .venvs/ministack once (a stamp records what was installed); a half-made one is made again."""
    stamp = VENV / ".installed"
    wanted = "\n".join(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == wanted:
        return VENV
    candidates = lambda_python_candidates()
    if not candidates:
        raise SystemExit("no python3.12, python3.13 or python3 found for the local cloud's functions")
    python = candidates[0]
    log(f"setting up the local cloud in {VENV.relative_to(ROOT)} with {python} (once, about 130 MB from PyPI)")
    if VENV.exists() and not _has_pip(VENV / "bin" / "python"):
        log(f"{VENV.relative_to(ROOT)} is half-made (no working pip): making it again")
        shutil.rmtree(VENV)
    if not (VENV / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    stamp.write_text(wanted)
    return VENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class AlreadyRunning(Exception):
    """The data folder already serves a running local cloud (`holder` is its lock file's record)."""

    def __init__(self, data_dir: Path, holder: dict):
        self.data_dir, self.holder = data_dir, holder
        super().__init__(f"{data_dir} already serves a local cloud on port {holder.get('port', '?')}")


@dataclass
class LocalCloud:
    """One ministack on one data folder. An exclusive lock on `<data_dir>/cloud.lock`, taken by `start`
    and inherited by the ministack process, makes one data folder serve one cloud: a second `start`
    on the same folder raises AlreadyRunning instead of sharing (or stopping) the first one's state.
    The lock goes with the last process holding it, so a crash leaves nothing stale behind."""

    data_dir: Path
    port: int
    _lock_fd: int | None = field(default=None, repr=False, compare=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def python(self) -> str:
        return str(VENV / "bin" / "python")

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "ministack.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "ministack.log"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "cloud.lock"

    @property
    def mail_dir(self) -> Path:
        """Copies of the e-mails SES accepted: ministack keeps its outbox in memory only."""
        return self.data_dir / "mail"

    def holder(self) -> dict:
        """What the running cloud on this data folder wrote into its lock file ({} if nothing yet)."""
        try:
            return json.loads(self.lock_file.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def lock(self) -> None:
        if self._lock_fd is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(self.data_dir, self.holder()) from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # the ministack process's copy went with it
            self._lock_fd = None

    def _record(self, **fields) -> None:
        data = json.dumps({"pid": os.getpid(), "port": self.port, "endpoint": self.endpoint, **fields}).encode()
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, data, 0)

    def client(self, service: str):
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
        return session.client(service, endpoint_url=self.endpoint, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))

    def start(self, timeout: float = 60) -> float:
        """Start on 127.0.0.1 with persistent state; returns the seconds until ready.

        Raises AlreadyRunning if another process's cloud serves this data folder (it is left alone)."""
        ensure_venv()
        self.lock()
        try:
            return self._start(timeout)
        except BaseException:
            if self.running_pid() is None:
                self.unlock()
            raise

    def _start(self, timeout: float) -> float:
        for sub in ("state", "s3"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        tmp = self.data_dir / "tmp"  # Lambda worker folders: ministack never removes them
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if port_in_use(self.port):
            raise SystemExit(f"port {self.port} is in use: stop what runs there or set PORT=<another>")
        # The functions inherit ministack's environment: start it from a clean one, so that no
        # developer setting (AWS_PROFILE, a real endpoint) leaks into them.
        env = {
            "PATH": f"{VENV / 'bin'}:/usr/bin:/bin",
            "HOME": str(Path.home()),
            "LANG": "C.UTF-8",
            "GATEWAY_PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "MINISTACK_HOST": "localhost",
            "IOT_MTLS_ENABLED": "0",
            "SFTP_ENABLED": "0",
            "PERSIST_STATE": "1",
            "STATE_DIR": str(self.data_dir / "state"),
            "S3_PERSIST": "1",
            "S3_DATA_DIR": str(self.data_dir / "s3"),
            "MINISTACK_REGION": REGION,
            "TMPDIR": str(tmp),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AUTH": os.environ.get("ESURETY_CLOUD_AUTH", "true"),
        }
        started = time.monotonic()
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                # serve.py: ministack with the local cloud's adaptations (it keeps each acknowledged
                # write, refuses immutable attributes, hides Lambda errors); -P: not its folder on sys.path.
                [str(VENV / "bin" / "python"), "-P", str(SERVE)], env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,  # Ctrl-C in the terminal is ours to pass on
                pass_fds=(self._lock_fd,),  # the lock lives as long as the cloud, even if we die first
            )
        self.pid_file.write_text(str(process.pid))
        self._record(ministack_pid=process.pid)
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise SystemExit(f"the local cloud stopped at start; see {self.log_file}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_ministack/ready", timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"the local cloud was not ready after {timeout} s; see {self.log_file}")

    def save(self) -> dict:
        """Write every service's state now, the functions and stacks included (serve.py writes the
        rest as each request is answered); start_and_deploy calls it once a deploy is done."""
        request = urllib.request.Request(f"{self.endpoint}/_localcloud/save", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)

    def kill(self) -> None:
        """SIGKILL the cloud's process group, as a crash would (and as stop does when it is stuck)."""
        pid = self.running_pid()
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM: ministack writes all its state on a graceful stop (serve.py writes each
        acknowledged write as it happens, so a SIGKILL when stuck loses no acknowledged write).

        Only the process that started the cloud stops it; the outbox is copied to `mail_dir` first."""
        if self._lock_fd is None:
            return
        pid = self.running_pid()
        if pid is None:
            self.unlock()
            return
        try:
            self.save_mail()
        except OSError as error:
            print(f"could not copy the outbox before stopping: {error}", file=sys.stderr)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                finished, _ = os.waitpid(pid, os.WNOHANG)
                if finished:
                    break
            except ChildProcessError:
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
            time.sleep(0.05)
        else:
            print(f"the local cloud did not stop in {timeout} s; killing it (see docs/local-cloud.md: what a crash keeps)", file=sys.stderr)
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        self.unlock()

    def outbox(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.endpoint}/_ministack/ses/messages", timeout=5) as response:
            messages = json.load(response).get("messages", {})
        return [m for account in messages.values() for m in account]

    def save_mail(self) -> int:
        """Copy the messages in ministack's (in-memory) outbox to `mail_dir`, one file each; returns how
        many were new. `make run` calls it as it waits and before stopping, so mail outlives restarts."""
        return mailbox.save(self.outbox(), self.mail_dir)

    def mail(self) -> list[dict]:
        """Every e-mail this cloud accepted: the saved copies and, while it runs, the live outbox."""
        live = self.outbox() if self.running_pid() is not None else []
        return mailbox.merge(mailbox.load(self.mail_dir), live)
