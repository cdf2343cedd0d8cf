from collections.abc import Iterator

import pytest

from tests.s3server import S3Server, moto_server


@pytest.fixture(scope="session")
def s3(tmp_path_factory) -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, for the whole session."""
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def bucket(s3, request) -> str:
    """A fresh, empty bucket for one test."""
    name = "t-" + request.node.name.lower().replace("_", "-")[:50]
    return s3.create_bucket(name)
