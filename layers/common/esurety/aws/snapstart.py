"""Lambda SnapStart: what a function restored from a snapshot must not share with its siblings.

With SnapStart (infra/template.yaml), Lambda runs a function's init once, when a version is
published, snapshots the memory, and resumes every new execution environment from that one
snapshot. Whatever the init left in memory is therefore shared by all of them, and is as old as
the version. So, registered by `install()` (each handler module calls it at the end of its init):

- before the snapshot: first the function's warm-ups (`install(signing.preload)`: pyHanko is
  loaded into the snapshot rather than into a request), then drop the boto3 clients and PynamoDB connections (open sockets and
  credentials must not be frozen into it), the cached pepper, the signing certificate and the
  Powertools parameter cache (no secret in the snapshot; nothing read at publish time is
  served months later);
- after each restore: the same again (nothing may have been cached in between, but this is
  what makes it true), and a new seed for the `random` module, whose state would otherwise be
  the same in every restored environment. Auth keys and ids come from `secrets` / `uuid4`
  (os.urandom), which the kernel keeps unique after a restore; `random` is only used by
  libraries (retry jitter, log sampling), but identical jitter in every environment is what
  retries must avoid.

Clocks need nothing: every date is read from the clock when used (`clock.now()`), and the
caches above that expire by age are dropped, not trusted.

`snapshot_restore_py` is part of Lambda's Python runtimes (3.12+) and on PyPI as
snapshot-restore-py (a dev dependency, so tests run the real registry). Where it is absent (a
local interpreter without it), registering does nothing, as SnapStart does nothing there.
"""
from __future__ import annotations

import random
import sys
from typing import Callable

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not in Lambda's runtime: no snapshot is taken, so there is nothing to hook

    def register_before_snapshot(func, *args, **kwargs):
        return func

    def register_after_restore(func, *args, **kwargs):
        return func


def forget_process_state() -> None:
    """Drop every client, connection and cached value a snapshot must not carry."""
    from .. import aws
    from . import keys

    aws.forget()
    keys.forget()
    signing = sys.modules.get(f"{__package__}.signing")  # only where it was imported: verify does not sign
    if signing is not None:
        signing.forget()
    models = sys.modules.get(f"{__package__}.models")
    if models is not None:
        for model in (*models.ALL_MODELS, models._TableShape):
            model._connection = None  # PynamoDB makes a new one (and a new botocore client) on next use
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()


def renew_after_restore() -> None:
    random.seed()  # from os.urandom: each restored environment gets its own sequence
    forget_process_state()


def install(*warm_ups: Callable[[], None]) -> None:
    """Register the hooks (once per process; a second call adds nothing).

    `warm_ups` run before the snapshot only, so what they load is in every restored environment
    at no cost to a request; without a snapshot (an on-demand cold start) they do not run, and
    what they would have loaded is loaded when first used. They must call no AWS API.
    """
    global _installed
    if _installed:
        return
    register_before_snapshot(forget_process_state)  # runs last: before-snapshot hooks run in reverse
    for warm_up in warm_ups:
        register_before_snapshot(warm_up)
    register_after_restore(renew_after_restore)
    _installed = True


_installed = False
