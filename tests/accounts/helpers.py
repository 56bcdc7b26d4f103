"""Helpers of the accounts tests: logging in through the API, and moving the application's clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.utils import timezone
from rest_framework.test import APIClient

PASSWORD = "Gridcity-Test-2024!"
TOKEN = "/api/auth/token/"


def client(address: str = "127.0.0.1", token: str | None = None) -> APIClient:
    api = APIClient(SERVER_NAME="localhost", REMOTE_ADDR=address)
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def login(username: str, password: str = PASSWORD, address: str = "127.0.0.1", **extra: str):
    return client(address).post(TOKEN, {"username": username, "password": password, **extra}, format="json")


def token_of(username: str, device: str = "phone", address: str = "127.0.0.1") -> str:
    response = login(username, device=device, address=address)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


@contextmanager
def clock_back(delta: timedelta) -> Iterator[None]:
    """Run the block with the application's clock set ``delta`` in the past (the database's clock,
    which judges tokens, stays where it is: the block's tokens are that old)."""
    then = timezone.now() - delta
    with mock.patch("django.utils.timezone.now", return_value=then):
        yield
