"""Schemathesis hooks for tests/integration/openapi.rs.

An Idempotency-Key belongs to one request: the API answers 422 when a key comes back with another
body, by design (tests/integration/api.rs tests it). Schemathesis makes keys from the schema alone
and would send one key with many bodies, so a valid key it made gets a unique suffix here; an
invalid one (a negative test of the header) is sent as made.
"""
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key):
        case.headers["Idempotency-Key"] = f"{key[:200]}-{uuid.uuid4().hex}"
