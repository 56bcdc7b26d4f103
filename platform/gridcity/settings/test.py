"""The test suite: the embedded cluster (pytest-django makes a throwaway test_ database on it)."""

from .dev import *  # noqa: F403

DEBUG = False
GRIDCITY_DEMO = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "accounts.passwords.SM3PasswordHasher"]
