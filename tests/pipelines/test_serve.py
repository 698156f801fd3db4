"""`linli serve` (issue 15, item 17): this machine only by default, the LAN only when asked, no lookup of
the machine's addresses on the network, and the server started under the owner-only umask of `linli`.
The browser side (the listening socket, no request through a proxy) is tests/e2e/test_sessions.py."""
from __future__ import annotations

import os
import sys

import pytest

from pipelines.build import runner
from pipelines.cli import main as cli
from pipelines.cli import serve
from pipelines.errors import UserError


def test_the_server_runs_with_these_settings_and_no_others():
    assert serve.streamlit_options("127.0.0.1", 8501) == {
        "server.address": "127.0.0.1", "server.port": "8501", "server.headless": "true",
        "browser.serverAddress": "localhost", "browser.gatherUsageStats": "false", "server.enableCORS": "true",
        "server.enableXsrfProtection": "true", "server.enableAgentApi": "false", "server.disconnectedSessionTTL": "60", "server.fileWatcherType": "none",
        "server.runOnSave": "false", "server.allowedHosts": ["localhost", "127.0.0.1"]}
    lan = serve.streamlit_options("0.0.0.0", 9000)
    # listening on every interface, the printed address is still given, so nothing is looked up
    assert lan["server.address"] == "0.0.0.0" and lan["browser.serverAddress"] == "localhost"
    assert serve.streamlit_options("192.168.1.5", 9000)["browser.serverAddress"] == "192.168.1.5"


def test_the_host_names_a_browser_may_use_are_never_left_open():
    # an empty list would let Streamlit accept any Host header (DNS rebinding)
    assert serve.allowed_hosts("0.0.0.0") == ["localhost", "127.0.0.1"]
    assert serve.allowed_hosts("192.168.1.5") == ["localhost", "127.0.0.1", "192.168.1.5"]
    assert serve.allowed_hosts("0.0.0.0", ["linli.example.org", "localhost"]) == [
        "localhost", "127.0.0.1", "linli.example.org"]
    cmd = serve.streamlit_command("0.0.0.0", 9000, ["linli.example.org"])
    flags = [cmd[i + 1] for i, part in enumerate(cmd) if part == "--server.allowedHosts"]
    assert flags == ["localhost", "127.0.0.1", "linli.example.org"]


@pytest.mark.parametrize("name,says", [
    ("*", "任何主机名"), (" * ", "任何主机名"), ("http://linli.lan:8501/", "不带 http://"), ("linli.lan:8501", "不带 http://"),
    ("[::1]", "不带 http://")])
def test_an_allowed_host_that_opens_everything_or_matches_nothing_is_refused(name, says):
    with pytest.raises(UserError) as err:
        serve.allowed_hosts("0.0.0.0", ["linli.lan", name])
    assert says in err.value.zh and "--allowed-host" in err.value.en
    assert serve.allowed_hosts("0.0.0.0", ["*.linli.lan", "::1"])[-2:] == ["*.linli.lan", "::1"]


class Became(BaseException):
    """Stands for the exec: nothing after it runs."""


@pytest.fixture
def exec_calls(monkeypatch):
    calls: list[dict] = []

    def fake_execve(path, argv, env):
        mask = os.umask(0o022)
        os.umask(mask)
        calls.append({"path": path, "argv": argv, "env": env, "umask": mask, "cwd": os.getcwd()})
        raise Became()

    monkeypatch.setattr(os, "execve", fake_execve)
    monkeypatch.setattr(runner, "snapshot_is_stale", lambda db: False)
    monkeypatch.chdir(os.path.dirname(__file__))
    return calls


def test_serve_binds_127_0_0_1_by_default_and_becomes_the_server_under_umask_077(tmp_path, exec_calls, capsys):
    db = tmp_path / "linli.duckdb"
    with pytest.raises(Became):
        cli.main(["--db", str(db), "serve", "--port", "8502"])
    call, = exec_calls
    assert call["path"] == sys.executable and call["umask"] == 0o077 and call["cwd"] == str(serve.ROOT)
    assert call["argv"][:5] == [sys.executable, "-m", "streamlit", "run", str(serve.SERVER)]
    options: dict[str, list[str]] = {}
    for flag, value in zip(call["argv"][5::2], call["argv"][6::2], strict=True):
        options.setdefault(flag, []).append(value)
    assert options == {f"--{k}": v if isinstance(v, list) else [v]
                       for k, v in serve.streamlit_options("127.0.0.1", 8502).items()}
    assert call["env"]["LINLI_DB"] == str(db.resolve())
    assert "TLS" not in capsys.readouterr().err


def test_serve_on_the_lan_says_to_put_it_behind_tls(tmp_path, exec_calls, capsys):
    with pytest.raises(Became):
        cli.main(["--db", str(tmp_path / "linli.duckdb"), "serve", "--host", "0.0.0.0"])
    assert "--server.address" in exec_calls[0]["argv"]
    assert exec_calls[0]["argv"][exec_calls[0]["argv"].index("--server.address") + 1] == "0.0.0.0"
    err = capsys.readouterr().err
    assert "HTTPS（TLS）" in err or "HTTPS (TLS)" in err


def test_the_server_script_is_an_st_app_that_streamlit_run_discovers():
    from streamlit.web.server.app_discovery import discover_asgi_app
    found = discover_asgi_app(serve.SERVER)
    assert found.is_asgi_app and found.app_name == "app"


def test_a_bare_streamlit_run_of_the_project_also_stays_on_this_machine_and_offline():
    import tomllib
    config = tomllib.loads((serve.ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1" and config["browser"]["serverAddress"] == "localhost"
    assert config["browser"]["gatherUsageStats"] is False and config["server"]["disconnectedSessionTTL"] == 60
