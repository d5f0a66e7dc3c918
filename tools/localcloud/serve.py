"""ministack as the local cloud runs it: five adaptations, so that it keeps, refuses and allows what AWS does.

cloud.py starts this file with ministack's own interpreter (`python -P serve.py`); it imports only
the standard library and ministack, patches ministack in this process, then runs ministack's main.

1. It keeps what it acknowledged. ministack (PERSIST_STATE=1) saves its services' state only on a
   graceful stop, so a `kill -9` lost every write since. Here, before the answer to a writing
   request leaves, the state of each service that request reached is written to
   `<STATE_DIR>/<service>.json` (a temporary file, then a rename: a reader sees the old file or
   the new one, never half of one). DynamoDB's items are the exception (ItemJournal): each item a
   write changed is appended to `<STATE_DIR>/dynamodb.journal` and fsync'd, so a write costs the
   same whatever the table holds; dynamodb.json is written whole only when a table itself changes
   (created, updated, deleted, tagged…), at start after a crash and at a graceful stop. A sweep
   each second while there is traffic also writes what a service changed on its own (an S3
   notification queued into SQS, a poller's delete, an item TTL expired; not the functions' logs,
   which only grow and are written at a graceful stop), and
   `POST /_localcloud/save` writes everything, the Lambda functions and stacks included (deploy.py
   calls it after each deploy: those are 50 MB, too much to write on each request).
2. It refuses what Cognito refuses: an update of an attribute the pool's schema declares immutable
   (`Mutable: false`, e.g. `custom:company_id`), by AdminUpdateUserAttributes or by the user's own
   UpdateUserAttributes, answers InvalidParameterException as AWS does; and the user's own update
   of an attribute its app client may not write (WriteAttributes) answers NotAuthorizedException.
   ministack changed the attribute either way.
3. An HTTP API whose Lambda function fails (raises, times out) answers 502 {"message": "Internal
   Server Error"} as AWS does; ministack passed the function's errorMessage, errorType and stack
   trace through to the client.
4. A KMS request that names its key by an alias (`KeyId: alias/...`) is authorised against the key
   itself, its ARN and its tags (`aws:ResourceTag/...`), as AWS does; ministack judged the alias's
   ARN, which has no tags, so an attribute-based policy (the functions may sign with keys tagged
   `esurety:issuer`) refused a key that AWS lets them use.
5. Cognito's managed login asks a user of a pool with MFA for the TOTP code after the password, as
   Cognito does (ministack minted the authorization code on the password alone), and its pages
   are Japanese (`managed_login.py`, beside this file).

And one for speed, answers unchanged: ministack tokenises and grammar-checks an expression again for
every item it evaluates it on, and a Query evaluates its key condition on each item of the index
partition before it takes the page; a page of a 10,000-row desk (one partition) spent 1.2 of its
1.5 s parsing the same text 10,000 times. Both are functions of the text alone: they are memoised
(docs/performance.md, "The orderer's desk").
"""
from __future__ import annotations

import asyncio
import base64
import contextvars
import functools
import hashlib
import json
import logging
import os
import re
import threading
import time

logger = logging.getLogger("localcloud")

SAVE_PATH = "/_localcloud/save"
JOURNAL = "dynamodb.journal"
# The table-level stores of ministack's dynamodb module (what get_state keeps besides the items).
DYNAMODB_STORES = ("_tags", "_ttl_settings", "_pitr_settings", "_kinesis_destinations", "_contributor_insights",
                   "_backups", "_resource_policies", "_exports", "_imports")
# What an item write changes in its table besides the items: recomputed as the journal is replayed.
DYNAMODB_ITEM_FIELDS = frozenset({"items", "_index_members", "ItemCount", "TableSizeBytes"})
# Written only by POST /_localcloud/save and at a graceful stop: the functions' code and the stacks.
HEAVY = frozenset({"lambda", "cloudformation"})
# Not swept: the functions' log lines, which ministack adds to CloudWatch Logs itself on each
# invocation. The file grows with every invocation (about 110 µs of writing per invocation kept, so
# 1 s a sweep after 10,000), and nobody was answered for them; written at save and at a graceful
# stop, and, as every service, when a request reaches the Logs API itself (PutLogEvents…).
NOT_SWEPT = frozenset({"cloudwatch_logs"})
SWEEP_SECONDS = 1.0
SWEEP_AFTER_WRITE_SECONDS = 10.0  # a service's own follow-ups (notifications, pollers) come soon after
# JSON-protocol operations that change nothing a restart should keep: no write is needed after them.
_READS = re.compile(r"\.(Admin)?(Get\w*|Describe\w*|List\w*|Query|Scan|BatchGetItem|Decrypt|Encrypt|GenerateDataKey\w*|Sign|Verify)$")
IMMUTABLE_MESSAGE = "user.{name}: Attribute cannot be updated."
UNWRITABLE_MESSAGE = "A client attempted to write unauthorized attribute"
LAMBDA_FAILED_BODY = json.dumps({"message": "Internal Server Error"})

_touched: contextvars.ContextVar[set | None] = contextvars.ContextVar("localcloud_touched", default=None)


class Durability:
    """Writes ministack's service state as `persistence.load_state` reads it back at start."""

    def __init__(self, ministack_app):
        from ministack.core import persistence

        self.app = ministack_app
        self.persistence = persistence
        self.state_dir = persistence.STATE_DIR
        self.enabled = persistence.PERSIST_STATE
        self.written: dict[str, str] = {}  # state key -> sha256 of the file last written
        self.last_write = 0.0
        self.journal: ItemJournal | None = None
        self.recent: set[str] = set()  # state keys written by requests since the last sweep
        # module name -> its state keys (a service's sub-modules are reached through it)
        self.keys: dict[str, set[str]] = {}
        for key, module in ministack_app._state_map.items():
            self.keys.setdefault(module, set()).add(key)
        for config in ministack_app.SERVICE_REGISTRY.values():
            for sub in config.get("sub_modules", ()):
                self.keys.setdefault(config["module"], set()).add(sub)

    def _module(self, key: str):
        import sys

        name = self.app._state_map.get(key)
        return self.app._loaded_modules.get(name) or sys.modules.get(f"ministack.services.{name}")

    def write(self, key: str, *, whole: bool = False) -> bool:
        """Write one service's state if it changed since its last write; True if written.
        DynamoDB's is kept by its journal unless `whole` (the journal's own compaction)."""
        if key == "dynamodb" and self.journal is not None and not whole:
            return self.journal.commit()
        module = self._module(key)
        if module is None or not hasattr(module, "get_state"):
            return False
        for attempt in range(3):  # a worker thread may change a dict while it is copied
            try:
                state = module.get_state()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        if state is None:
            return False
        data = json.dumps(
            {"__ministack_format__": self.persistence._state_format_version(key), "payload": state},
            default=self.persistence._json_default,
        ).encode()
        digest = hashlib.sha256(data).hexdigest()
        if self.written.get(key) == digest:
            return False
        os.makedirs(self.state_dir, exist_ok=True)
        path = os.path.join(self.state_dir, f"{key}.json")
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as file:
                file.write(data)
                if whole:  # the journal is emptied next: the file must be on disk first
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(temporary, path)
            if whole:
                _fsync_dir(self.state_dir)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        self.written[key] = digest
        return True

    def write_all(self, keys, *, heavy: bool) -> list[str]:
        written = []
        for key in sorted(keys):
            if key in HEAVY and not heavy:
                continue
            try:
                if self.write(key):
                    written.append(key)
            except Exception:  # one service failing must not stop the others being kept
                logger.exception("local cloud: could not write the state of %s", key)
        return written

    def write_touched(self, modules: set[str]) -> None:
        keys = {key for module in modules for key in self.keys.get(module, ())}
        if self.journal is not None and self.journal.pending:
            keys.add("dynamodb")  # an item changed by a request that reached DynamoDB from another service
        self.write_all(keys, heavy=False)
        self.recent |= keys
        self.last_write = time.monotonic()

    def loaded_keys(self) -> set[str]:
        return {key for key in self.app._state_map if self._module(key) is not None}

    async def sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            if time.monotonic() - self.last_write < SWEEP_AFTER_WRITE_SECONDS:
                # A service written by a request within the last second is skipped this once: a busy
                # table is not serialized twice over (the next quiet second sweeps it).
                self.write_all(self.loaded_keys() - self.recent - NOT_SWEPT, heavy=False)
            self.recent = set()


def _fsync_dir(path: str) -> None:
    """A rename is on disk once its folder is."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ItemJournal:
    """DynamoDB kept item by item: the cost of keeping a write does not grow with the table.

    Every item ministack stores or deletes goes through its `_set_item` or `_remove_item` (PutItem,
    UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, PartiQL, the TTL reaper, replicas);
    those are wrapped to note (table, key). `commit`, called before a writing request's answer
    leaves and by the sweep, appends one line per noted key to `dynamodb.journal` with the item as it
    now is (or null: deleted) and fsyncs it. A line holds the item's state, not the operation, so
    replaying a line twice, or a line a snapshot already holds, changes nothing; a transaction
    rolled back leaves lines that restore what was there.

    When anything but items changed (a table created, updated, deleted, tagged, its TTL set: a
    digest of everything dynamodb.json holds except the items tells), `commit` writes dynamodb.json
    whole instead (fsync'd) and empties the journal. At start, after ministack loaded
    dynamodb.json, `recover` replays the journal and, if it held anything, compacts (writes whole,
    empties); so does a graceful stop. A line cut short by a crash was never acknowledged (its
    answer waits for the fsync): it and anything after it is ignored."""

    def __init__(self, durability: Durability, dynamodb):
        self.durability = durability
        self.dynamodb = dynamodb
        self.path = os.path.join(durability.state_dir, JOURNAL)
        self.pending: dict[tuple, dict] = {}  # (id(table), pk, sk) -> table (held, so its id stays its own)
        self.pending_lock = threading.Lock()  # ministack's TTL reaper changes items from its own thread
        self.commit_lock = threading.Lock()  # an answer waits for a commit another request started
        self.shape: str | None = None  # digest of the table-level state dynamodb.json last held
        self.fd: int | None = None
        self.set_item, self.remove_item = dynamodb._set_item, dynamodb._remove_item

        def _set_item(table, pk_val, sk_val, item):
            old = self.set_item(table, pk_val, sk_val, item)
            self.note(table, pk_val, sk_val)
            return old

        def _remove_item(table, pk_val, sk_val):
            old = self.remove_item(table, pk_val, sk_val)
            self.note(table, pk_val, sk_val)
            return old

        dynamodb._set_item, dynamodb._remove_item = _set_item, _remove_item

    def note(self, table: dict, pk_val, sk_val) -> None:
        with self.pending_lock:
            self.pending[(id(table), pk_val, sk_val)] = table

    def _shape(self) -> str:
        """Digest of what dynamodb.json holds but the items: the same while only items change."""
        for attempt in range(3):  # the TTL reaper's thread may change a table while it is read
            try:
                tables = self.dynamodb._tables._data.copy()
                parts = [[repr(key), {k: v for k, v in list(table.items()) if k not in DYNAMODB_ITEM_FIELDS}]
                         for key, table in sorted(tables.items(), key=lambda entry: repr(entry[0]))]
                parts += [getattr(self.dynamodb, name) for name in DYNAMODB_STORES]
                return hashlib.sha256(json.dumps(parts, default=self._shape_default, sort_keys=True).encode()).hexdigest()
            except RuntimeError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _shape_default(self, value):
        try:
            return self.durability.persistence._json_default(value)
        except TypeError:
            return repr(value)

    def _open(self) -> int:
        if self.fd is None:
            os.makedirs(self.durability.state_dir, exist_ok=True)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self.fd

    def _write_whole(self) -> None:
        with self.pending_lock:
            self.pending = {}  # the whole state holds them (a change from now on is noted again)
        shape = self._shape()
        self.durability.written.pop("dynamodb", None)  # never skipped as unchanged: this write is fsync'd
        self.durability.write("dynamodb", whole=True)
        os.ftruncate(self._open(), 0)
        self.shape = shape

    def commit(self) -> bool:
        """Keep every item changed since the last commit; True if anything was written."""
        with self.commit_lock:
            if self._shape() != self.shape:
                self._write_whole()
                return True
            with self.pending_lock:
                pending, self.pending = self.pending, {}
            if not pending:
                return False
            names = {id(table): key for key, table in list(self.dynamodb._tables._data.items())}
            default = self.durability.persistence._json_default
            lines = []
            for (table_id, pk_val, sk_val), table in pending.items():
                key = names.get(table_id)
                if key is None:
                    continue  # no longer a table (its deletion changed the shape: written whole)
                item = table["items"].get(pk_val, {}).get(sk_val)
                lines.append(json.dumps({"table": list(key), "key": [pk_val, sk_val], "item": item},
                                        default=default, ensure_ascii=False))
            if not lines:
                return False
            fd = self._open()
            os.write(fd, ("\n".join(lines) + "\n").encode())
            os.fsync(fd)
            return True

    def replay(self) -> int:
        """Apply the journal to the tables ministack loaded; returns the lines applied."""
        try:
            with open(self.path, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return 0
        hook = self.durability.persistence._json_object_hook
        applied = 0
        for raw in data.split(b"\n"):
            if not raw:
                continue
            try:
                line = json.loads(raw, object_hook=hook)
            except ValueError:
                logger.warning("local cloud: %s ends with a line cut short; ignored (never acknowledged)", JOURNAL)
                break
            account, region, name = line["table"]
            table = self.dynamodb._tables.get_scoped(account, region, name)
            if table is None:
                continue
            pk_val, sk_val = line["key"]
            if line["item"] is None:
                self.remove_item(table, pk_val, sk_val)
            else:
                self.set_item(table, pk_val, sk_val, line["item"])
            applied += 1
        return applied

    def recover(self) -> None:
        """At start, once ministack loaded dynamodb.json: replay, then compact if there was a journal."""
        with self.commit_lock:
            applied = self.replay()
            if applied or (os.path.exists(self.path) and os.path.getsize(self.path)):
                logger.info("local cloud: %d DynamoDB item writes replayed from %s", applied, JOURNAL)
                self._write_whole()
            else:
                with self.pending_lock:
                    self.pending = {}
                # What ministack loaded is what dynamodb.json holds (nothing, on a fresh folder).
                self.shape = self._shape() if os.path.exists(os.path.join(self.durability.state_dir, "dynamodb.json")) else None

    def compact(self) -> None:
        """At a graceful stop: dynamodb.json whole and the journal empty, unless nothing changed."""
        with self.commit_lock:
            dirty = self.pending or self._shape() != self.shape
            if dirty or (os.path.exists(self.path) and os.path.getsize(self.path)):
                self._write_whole()


def _writes(scope: dict) -> bool:
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    for name, value in scope.get("headers", []):
        if name.lower() == b"x-amz-target":
            return not _READS.search(value.decode("latin-1"))
    return True


def install_journal(durability: Durability, ministack_app) -> ItemJournal | None:
    from ministack.services import dynamodb

    stores = {f"_{key}" for key in dynamodb.get_state() if key != "tables"}  # no tables yet: cheap
    if stores != set(DYNAMODB_STORES):
        # Another ministack keeps state the digest would not see: writing whole is slow but sure.
        logger.warning("local cloud: ministack's DynamoDB state differs (%s); its items are not journalled",
                       sorted(stores ^ set(DYNAMODB_STORES)))
        return None
    journal = durability.journal = ItemJournal(durability, dynamodb)
    load_persisted_state, save_all = ministack_app._load_persisted_state, ministack_app.save_all

    def _load_persisted_state():
        load_persisted_state()
        journal.recover()

    def _save_all(services: dict):  # a graceful stop: ministack writes every service; DynamoDB is compacted
        others = {key: get_state for key, get_state in services.items() if key != "dynamodb"}
        save_all(others)
        try:
            journal.compact()
        except Exception:  # its journal still holds every item: the next start replays it
            logger.exception("local cloud: could not compact %s at stop", JOURNAL)

    ministack_app._load_persisted_state, ministack_app.save_all = _load_persisted_state, _save_all
    return journal


def install_durability(ministack_app) -> Durability:
    durability = Durability(ministack_app)
    if not durability.enabled:
        return durability
    install_journal(durability, ministack_app)
    get_module = ministack_app._get_module

    def _get_module(name: str):
        touched = _touched.get()
        if touched is not None:
            touched.add(name)
        return get_module(name)

    ministack_app._get_module = _get_module
    inner = ministack_app.app
    sweeping: list = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        if not sweeping:
            sweeping.append(asyncio.get_running_loop().create_task(durability.sweep()))
        if scope["path"] == SAVE_PATH and scope["method"] == "POST":
            started = time.monotonic()
            written = durability.write_all(durability.loaded_keys(), heavy=True)
            body = json.dumps({"written": written, "seconds": round(time.monotonic() - started, 3)}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        if not _writes(scope):
            return await inner(scope, receive, send)
        touched: set[str] = set()
        token = _touched.set(touched)

        async def send_when_kept(message):
            if message["type"] == "http.response.start":
                durability.write_touched(touched)  # before the client can see the answer
            await send(message)

        try:
            return await inner(scope, receive, send_when_kept)
        finally:
            _touched.reset(token)

    ministack_app.app = app
    return durability


def _immutable_refusal(cognito, pool: dict | None, updates) -> object | None:
    """InvalidParameterException if an update names an attribute the pool's schema makes immutable."""
    if pool is None:
        return None
    schema = {a["Name"]: a for a in cognito._ensure_schema_attributes(pool).get("SchemaAttributes", [])}
    for attribute in updates or []:
        name = attribute.get("Name", "")
        if name in schema and schema[name].get("Mutable") is False:
            return cognito.error_response_json("InvalidParameterException", IMMUTABLE_MESSAGE.format(name=name), 400)
    return None


def _unwritable_refusal(cognito, pool: dict | None, access_token: str, updates) -> object | None:
    """NotAuthorizedException if the user's own update names an attribute its app client may not
    write (the client's WriteAttributes), as Cognito answers; an admin update is not so limited."""
    if pool is None:
        return None
    try:
        payload = access_token.split(".")[1]
        client_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("client_id")
    except (IndexError, ValueError):
        return None
    client = pool.get("_clients", {}).get(client_id)
    if client is None or not client.get("WriteAttributes"):
        return None  # a client without the list may write every mutable attribute
    writable = set(client["WriteAttributes"])
    for attribute in updates or []:
        if attribute.get("Name", "") not in writable:
            return cognito.error_response_json("NotAuthorizedException", UNWRITABLE_MESSAGE, 400)
    return None


def install_immutable_attributes(cognito) -> None:
    admin_update = cognito._admin_update_user_attributes
    user_update = cognito._update_user_attributes

    def _admin_update_user_attributes(data):
        pool, _ = cognito._resolve_pool(data.get("UserPoolId"))
        return _immutable_refusal(cognito, pool, data.get("UserAttributes")) or admin_update(data)

    def _update_user_attributes(data):
        token = data.get("AccessToken", "")
        _, pool = cognito._user_pool_for_access_token(token)
        return (
            _unwritable_refusal(cognito, pool, token, data.get("UserAttributes"))
            or _immutable_refusal(cognito, pool, data.get("UserAttributes"))
            or user_update(data)
        )

    cognito._admin_update_user_attributes = _admin_update_user_attributes
    cognito._update_user_attributes = _update_user_attributes


def install_lambda_failure_answer(lambda_svc) -> None:
    to_proxy_response = lambda_svc.lambda_execute_result_to_api_proxy_response

    def lambda_execute_result_to_api_proxy_response(exec_result: dict):
        body = exec_result.get("body")
        if exec_result.get("error") and not exec_result.get("throttle") and not (isinstance(body, dict) and "statusCode" in body):
            # The failure is the function's to log (ministack writes it to the function's log group);
            # the client learns only that it failed.
            return {"statusCode": 502, "headers": {"Content-Type": "application/json"}, "body": LAMBDA_FAILED_BODY}, None
        return to_proxy_response(exec_result)

    lambda_svc.lambda_execute_result_to_api_proxy_response = lambda_execute_result_to_api_proxy_response


def install_kms_alias_authorization(iam_actions) -> None:
    """The resource of a KMS request whose KeyId is an alias is the key the alias names (AWS
    authorises kms:Sign, kms:DescribeKey... on the key; the alias only finds it). An alias that names
    no key stays as it was (the request then fails as ministack answers it)."""
    extract = iam_actions.extract_resource_arn

    def extract_resource_arn(service, method, path, headers, body, query_params, region, account_id):
        arn = extract(service, method, path, headers, body, query_params, region, account_id)
        if service == "kms" and isinstance(arn, str) and ":alias/" in arn:
            from ministack.services import kms

            record = kms._resolve_key(arn)
            if record and record.get("Arn"):
                return record["Arn"]
        return arn

    iam_actions.extract_resource_arn = extract_resource_arn


def install_expression_memo(dynamodb) -> None:
    """Parse an expression once per text, not once per item: ministack's `_tokenize` and
    `_condition_syntax_error` read nothing but their arguments (strings). A text that fails raises
    each time (lru_cache keeps answers only); each caller gets its own list of the (immutable) tokens."""
    tokens_of = functools.lru_cache(maxsize=4096)(lambda expr: tuple(tokenize(expr)))
    tokenize = dynamodb._tokenize

    def _tokenize(expr):
        return list(tokens_of(expr)) if isinstance(expr, str) else tokenize(expr)

    dynamodb._tokenize = _tokenize
    dynamodb._condition_syntax_error = functools.lru_cache(maxsize=4096)(dynamodb._condition_syntax_error)


def install_s3_header_override_check(s3) -> None:
    """S3 answers 400 InvalidArgument to a GetObject whose `response-*` override it cannot send as
    ISO-8859-1 (a raw Japanese file name in response-content-disposition); ministack would pass it on.
    A name sent as RFC 5987's `filename*=UTF-8''…` (percent-encoded, ASCII) is served as S3 serves it."""
    reject_unsigned = s3._reject_response_overrides_if_unsigned

    def _reject_response_overrides_if_unsigned(headers, query_params, bucket_name, key):
        for name in s3._RESPONSE_OVERRIDE_PARAMS:
            value = s3._qp(query_params or {}, name, "")
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                return s3._error(
                    "InvalidArgument", "Header value cannot be represented using ISO-8859-1.", 400, f"/{bucket_name}/{key}",
                    extra={"ArgumentName": name, "ArgumentValue": value},
                )
        return reject_unsigned(headers, query_params, bucket_name, key)

    s3._reject_response_overrides_if_unsigned = _reject_response_overrides_if_unsigned


def install_managed_login(cognito):
    """managed_login.py, loaded by its path: serve.py runs with -P, so this folder (whose site.py
    would shadow the standard library's) is not on sys.path."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "managed_login.py")
    spec = importlib.util.spec_from_file_location("localcloud_managed_login", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.install(cognito)


def install():
    import ministack.app as ministack_app
    from ministack.core import iam_actions
    from ministack.services import cognito, dynamodb, lambda_svc, s3

    install_immutable_attributes(cognito)
    install_s3_header_override_check(s3)
    install_managed_login(cognito)
    install_lambda_failure_answer(lambda_svc)
    install_kms_alias_authorization(iam_actions)
    install_expression_memo(dynamodb)
    return install_durability(ministack_app), ministack_app


def main() -> None:
    _, ministack_app = install()
    ministack_app.main()


if __name__ == "__main__":
    main()
