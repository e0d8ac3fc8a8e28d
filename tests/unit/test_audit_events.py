"""Every audit event the code records can be chosen in the admin page's event filter."""

from __future__ import annotations

import re

from support import PROJECT_ROOT

from dashboard import audit
from layouts import admin

RECORDED = re.compile(r"""(?:audit\.record|\brecord)\(\s*["']([a-z_]+)["']""")


def test_every_recorded_event_is_listed():
    sources = [*(PROJECT_ROOT / "dashboard").rglob("*.py"), *(PROJECT_ROOT / "callbacks").rglob("*.py")]
    recorded = {name for path in sources for name in RECORDED.findall(path.read_text(encoding="utf-8"))}
    assert recorded, "the pattern found no audit call"
    assert recorded <= set(audit.EVENTS), sorted(recorded - set(audit.EVENTS))
    assert admin.AUDIT_EVENTS == audit.EVENTS
