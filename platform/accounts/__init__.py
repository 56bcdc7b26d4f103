"""Accounts: roles, jurisdiction, lockout, password rules and token/session login (SPEC §6)."""
