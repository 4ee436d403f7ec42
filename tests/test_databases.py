"""A missing server skips with a way to enable it, unless CI requires every server."""

import pytest

from .databases import REQUIRE_VARIABLE, SERVER_VARIABLES, server_url


@pytest.mark.parametrize("server", sorted(SERVER_VARIABLES))
def test_an_unset_server_skips_saying_how_to_enable_it(server, monkeypatch):
    monkeypatch.delenv(SERVER_VARIABLES[server], raising=False)
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"set {SERVER_VARIABLES[server]}="):
        server_url(server)


@pytest.mark.parametrize("server", sorted(SERVER_VARIABLES))
def test_required_servers_turn_the_skip_into_a_failure(server, monkeypatch):
    monkeypatch.delenv(SERVER_VARIABLES[server], raising=False)
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="cannot be skipped"):
        server_url(server)


def test_a_server_that_does_not_answer_is_reported(monkeypatch):
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    monkeypatch.setenv("TEST_POSTGRESQL_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(pytest.skip.Exception, match="does not answer"):
        server_url("postgresql")
