#!/usr/bin/env python3
"""An example integration smoke command for golive's `client_retry` check.

It logs in, reads the wallets, places one test order and confirms it was
delivered, the way the Octopus go-live checklist asks:

- every request carries a fresh KSUID-style X-Request-Id, and the id is logged;
- network errors and 5xx are retried with backoff from 200 ms doubling to a 10 s
  cap, 429 after waiting Retry-After (plus a margin), at most 5 attempts in all;
- other 4xx are never retried (a 400 on the wallets read is logged and the
  smoke goes on without them); a 401 leads to one re-login, then a retry;
- the order carries a client_reference, generated once and reused on retries;
- unknown JSON fields are ignored and unknown enum values are logged, not fatal.

Run without arguments it does everything right. `--mistake NAME` makes it make
exactly one of the mistakes golive must catch (see MISTAKES). Standard library
only. Configuration comes from the environment, as golive sets it:
OCTOPUS_BASE_URL, OCTOPUS_API_KEY, OCTOPUS_API_SECRET.

Exit status: 0 when the order was placed and delivered, 1 otherwise (which is
the correct outcome of golive's "outage" phase).
"""

import argparse
import json
import os
import random
import string
import sys
import time
import urllib.error
import urllib.request

MISTAKES = {
    "ignore-retry-after": "retries a 429 after its usual 200 ms backoff, ignoring Retry-After",
    "no-retry-429": "gives up at once on a 429",
    "no-retry-5xx": "gives up at once on a 5xx",
    "retry-400": "retries every 4xx, including the 400 on the wallets read",
    "zero-backoff": "retries 5xx at once, without backoff",
    "unbounded": "never stops retrying (every 150 ms)",
    "new-reference": "sends a new client_reference on every attempt at the order",
    "no-reference": "creates the order without a client_reference",
    "no-request-id": "sends no X-Request-Id",
    "strict-parsing": "rejects unknown fields and unknown enum values",
    "always-fail": "does everything right, then exits 1 anyway",
    "bypass": "ignores OCTOPUS_BASE_URL and makes no request at all",
}

MAX_ATTEMPTS = 5
BACKOFF_INITIAL = 0.2
BACKOFF_CAP = 10.0
RETRY_AFTER_MARGIN = 0.5
UNBOUNDED_BACKOFF = 0.15

KNOWN_WALLET_TYPES = {"PREPAID", "CREDIT"}
KNOWN_ORDER_STATUSES = {"PENDING", "DELIVERED", "PARTIALLY_DELIVERED", "FAILED", "CANCELLED"}
LOGIN_FIELDS = {"access_token", "refresh_token", "access_expires_at", "refresh_expires_at", "client_id"}
WALLET_FIELDS = {"id", "currency_id", "amount", "type"}

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def log(message):
    print(message, file=sys.stderr, flush=True)


def request_id():
    return "".join(random.choice(BASE62) for _ in range(27))


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, base, key, secret, mistake):
        self.base = base.rstrip("/")
        self.key = key
        self.secret = secret
        self.mistake = mistake
        self.token = None

    def attempt(self, method, path, body):
        """One HTTP exchange: (status or None on a network error, headers, text)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token and not path.startswith("/auth/"):
            req.add_header("Authorization", "Bearer " + self.token)
        sent_id = None
        if self.mistake != "no-request-id":
            sent_id = request_id()
            req.add_header("X-Request-Id", sent_id)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, headers, text = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, text = e.code, e.headers, e.read().decode()
        except (urllib.error.URLError, OSError) as e:
            log(f"{method} {path} -> network error: {e}")
            return None, {}, ""
        got_id = headers.get("X-Request-Id") or sent_id or "-"
        log(f"{method} {path} -> {status} (X-Request-Id: {got_id})")
        return status, headers, text

    def backoff(self, attempt):
        if self.mistake == "unbounded":
            return UNBOUNDED_BACKOFF
        return min(BACKOFF_INITIAL * 2 ** (attempt - 1), BACKOFF_CAP)

    def call(self, method, path, body=None, new_body=None):
        """A request with the checklist's retry policy; returns the parsed JSON.

        `new_body`, when given, builds the body of each attempt (the
        new-reference mistake)."""
        attempt = 0
        relogged = False
        while True:
            attempt += 1
            if new_body is not None:
                body = new_body()
            status, headers, text = self.attempt(method, path, body)
            if status is not None and 200 <= status < 300:
                return json.loads(text) if text else None
            if status == 401 and not path.startswith("/auth/") and not relogged:
                relogged = True
                self.login()
                continue
            if status == 429:
                if self.mistake == "no-retry-429":
                    raise ApiError(status, text)
                retry_after = headers.get("Retry-After")
                if self.mistake == "ignore-retry-after" or retry_after is None:
                    wait = self.backoff(attempt)
                else:
                    wait = float(retry_after) + RETRY_AFTER_MARGIN
            elif status is None or status >= 500:
                if self.mistake == "no-retry-5xx":
                    raise ApiError(status, text)
                wait = 0.0 if self.mistake == "zero-backoff" else self.backoff(attempt)
            elif self.mistake == "retry-400":
                wait = self.backoff(attempt)
            else:
                raise ApiError(status, text)
            if attempt >= MAX_ATTEMPTS and self.mistake != "unbounded":
                raise ApiError(status, text)
            log(f"  retrying in {wait:.2f}s (attempt {attempt + 1})")
            time.sleep(wait)

    def login(self):
        body = self.call("POST", "/auth/login", {"username": self.key, "password": self.secret})
        if self.mistake == "strict-parsing":
            unknown = (set(body) - {"success", "data"}) | (set(body["data"]) - LOGIN_FIELDS)
            if unknown:
                raise ValueError(f"unexpected fields in the login response: {sorted(unknown)}")
        self.token = body["data"]["access_token"]


def check_wallets(client, wallets):
    for w in wallets:
        if client.mistake == "strict-parsing":
            unknown = set(w) - WALLET_FIELDS
            if unknown:
                raise ValueError(f"unexpected wallet fields: {sorted(unknown)}")
            if w["type"] not in KNOWN_WALLET_TYPES:
                raise ValueError(f"unexpected wallet type {w['type']!r}")
        elif w.get("type") not in KNOWN_WALLET_TYPES:
            log(f"wallet {w.get('id')}: unknown type {w.get('type')!r}, ignored")
        log(f"wallet {w.get('id')}: {w.get('amount')} (currency {w.get('currency_id')})")


def place_order(client):
    reference = "smoke-" + request_id()[:16]
    order = {"product_id": 123, "denomination": 10, "quantity": 1}

    def body():
        b = dict(order)
        if client.mistake == "new-reference":
            b["client_reference"] = "smoke-" + request_id()[:16]
        elif client.mistake != "no-reference":
            b["client_reference"] = reference
        return b

    try:
        created = client.call("POST", "/api/v1/orders", new_body=body)
    except ApiError as e:
        if e.status == 400 and "Duplicate client_reference" in e.body:
            # An earlier attempt went through: find it instead of ordering again.
            found = client.call("GET", "/api/v1/orders?client_reference=" + reference)
            created = found[0]
        else:
            raise
    status = created.get("status")
    if client.mistake == "strict-parsing" and status not in KNOWN_ORDER_STATUSES:
        raise ValueError(f"unexpected order status {status!r}")
    for _ in range(10):
        if status == "DELIVERED":
            log(f"order {created.get('id')} delivered ({created.get('client_reference')})")
            return True
        if status in ("FAILED", "CANCELLED"):
            log(f"order {created.get('id')} ended {status}")
            return False
        if status not in KNOWN_ORDER_STATUSES:
            log(f"order {created.get('id')}: unknown status {status!r}, treated as pending")
        time.sleep(0.3)
        created = client.call("GET", f"/api/v1/orders/{created['id']}")
        status = created.get("status")
    log("order still not delivered")
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistake", choices=sorted(MISTAKES), help="make this one mistake")
    args = parser.parse_args()
    if args.mistake == "bypass":
        log("pretending to have run the smoke test")
        return 0
    client = Client(
        os.environ["OCTOPUS_BASE_URL"],
        os.environ.get("OCTOPUS_API_KEY", ""),
        os.environ.get("OCTOPUS_API_SECRET", ""),
        args.mistake,
    )
    try:
        client.login()
        try:
            check_wallets(client, client.call("GET", "/api/v1/wallets"))
        except ApiError as e:
            log(f"wallets unavailable ({e}); going on without them")
        delivered = place_order(client)
    except ApiError as e:
        log(f"giving up: {e}")
        return 1
    if args.mistake == "always-fail":
        log("failing anyway")
        return 1
    return 0 if delivered else 1


if __name__ == "__main__":
    sys.exit(main())
