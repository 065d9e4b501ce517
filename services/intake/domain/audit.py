"""The audit trail's entry and chain: one implementation for every service, in shared/platform/audit.py."""

from shared.platform.audit import CHANGE, ERASE, GENESIS, READ, AuditEntry, ChainCheck, verify

__all__ = ["CHANGE", "ERASE", "GENESIS", "READ", "AuditEntry", "ChainCheck", "verify"]
