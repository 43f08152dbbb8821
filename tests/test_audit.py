"""The audit trail is a hash chain: `schoolcloud audit verify` notices a changed or removed event."""

from __future__ import annotations

import pytest

from schoolcloud.privacy import audit
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import make_school


def test_ip_addresses_are_truncated():
    assert audit.truncate_ip("192.168.17.42") == "192.168.17.0/24"
    assert audit.truncate_ip("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::/48"
    assert audit.truncate_ip("not an ip") == ""


@pytest.mark.postgres
async def test_chain_verifies_and_detects_tampering(app):
    school = await make_school()
    first = await audit.record("test.first", school_id=school.id, ip="10.1.2.3", details={"n": 1})
    second = await audit.record("test.second", school_id=school.id, details={"n": 2})
    assert second.prev_hash == first.hash
    assert first.ip == "10.1.2.0/24"
    ok = app.cli("audit", "verify", check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout

    await AuditEvent.filter(id=first.id).update(details={"n": 99})
    changed = app.cli("audit", "verify", check=False)
    assert changed.returncode == 1
    assert f"event {first.id}" in changed.stdout and "changed" in changed.stdout
    await AuditEvent.filter(id=first.id).update(details={"n": 1})

    await AuditEvent.filter(id=first.id).delete()
    removed = app.cli("audit", "verify", check=False)
    assert removed.returncode == 1
    assert "removed" in removed.stdout
    # Put the chain back so later tests see an intact trail.
    await AuditEvent.create(id=first.id, school_id=first.school_id, actor=first.actor, action=first.action,
                            target_type=first.target_type, target_id=first.target_id, details=first.details,
                            ip=first.ip, created_at=first.created_at, prev_hash=first.prev_hash, hash=first.hash)
    assert app.cli("audit", "verify", check=False).returncode == 0
