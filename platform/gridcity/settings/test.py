"""The test suite: the embedded cluster (pytest-django makes a throwaway test_ database on it)."""

import os

from .dev import *  # noqa: F403

DEBUG = False
GRIDCITY_DEMO = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "accounts.passwords.SM3PasswordHasher"]
# Each test run gets its own database on the shared cluster, so concurrent runs never drop each other's.
DATABASES["default"]["TEST"] = {"NAME": f"test_gridcity_{os.getpid()}"}  # noqa: F405
