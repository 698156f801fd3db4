"""`linli serve`: the dashboard on this machine only, unless told otherwise (SPEC §7, §9).

It binds 127.0.0.1 by default (`--host 0.0.0.0` opens it to the LAN, to be put behind TLS), and it
never reaches outside the machine: Streamlit looks up the machine's external address (a request to
checkip.amazonaws.com) to print an "External URL" whenever it listens on every interface without a
browser.serverAddress, so one is always given. The process becomes Streamlit by execve, which keeps
the umask and the environment the `linli` entry point set (files it writes stay owner-only) and lets a
SIGTERM to `linli serve` reach the server itself.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from pipelines.cli.common import db_path, say, ui_lang
from pipelines.errors import UserError, safe_text

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "dashboard" / "server.py"     # st.App: app.py plus the login cookie's routes
LOOPBACK = "127.0.0.1"
WILDCARDS = ("0.0.0.0", "::", "")


def allowed_hosts(host: str, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The host names a browser may reach the dashboard by. Streamlit accepts any Host header when
    the list is empty, which lets a hostile page rebind its own DNS name to this machine and drive the
    dashboard from the resident's browser; so the list is never empty: this machine's own names, the
    address it listens on, and the names a LAN install is reached by (`--allowed-host`)."""
    for name in extra:
        _refuse_open_host(name)
    names = ["localhost", LOOPBACK]
    if host not in WILDCARDS and host not in names:
        names.append(host)
    return names + [n for n in extra if n and n not in names]


def _is_address(name: str) -> bool:
    import ipaddress
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _refuse_open_host(name: str) -> None:
    """`--allowed-host '*'` (Streamlit's "any host") would undo the list, and a URL or a name with a
    port never matches a Host header, so the dashboard would refuse every browser for no reason said."""
    shown = safe_text(name)
    if name.strip() in ("*", "*.", ""):
        raise UserError(f"--allowed-host 不能是“{shown}”：它会允许任何主机名访问看板，任何网页都可以借 DNS 重绑定"
                        "操作这台机器上的看板。请写出浏览器访问看板时用的名称或地址，例如 linli.example.lan 或 192.168.1.5。",
                        f"--allowed-host cannot be '{shown}': it lets any host name reach the dashboard, so any web "
                        "page could drive it through DNS rebinding. Give the name or address browsers use, e.g. "
                        "linli.example.lan or 192.168.1.5.")
    if not _is_address(name) and any(mark in name for mark in ("/", ":", "@", "[", "]")):
        raise UserError(f"--allowed-host 只写主机名或地址，不带 http://、端口或路径：“{shown}”不会与任何浏览器的请求相符。"
                        "例如写 linli.example.lan，而不是 http://linli.example.lan:8501/。",
                        f"--allowed-host takes a host name or address only, without http://, a port or a path: "
                        f"'{shown}' would match no browser's request. E.g. linli.example.lan, not "
                        "http://linli.example.lan:8501/.")


def streamlit_options(host: str, port: int, extra_hosts: list[str] | tuple[str, ...] = ()) -> dict[str, str | list[str]]:
    """The settings the server runs with, given on its command line so that no config file can
    widen them."""
    return {
        "server.address": host,
        "server.port": str(port),
        "server.headless": "true",
        # the address printed: set, so Streamlit never looks the machine's addresses up (see above)
        "browser.serverAddress": "localhost" if host in WILDCARDS or host == LOOPBACK else host,
        "browser.gatherUsageStats": "false",
        "server.enableCORS": "true",
        "server.enableXsrfProtection": "true",
        # off by default in 1.67; pinned, since it would let a client without a browser drive the pages
        "server.enableAgentApi": "false",
        # A closed tab's browser session (its state, uploads and /media/ download files) is dropped after
        # this many seconds instead of Streamlit's 120; a login outlives it in the cookie.
        "server.disconnectedSessionTTL": "60",
        # a deployed dashboard does not reload its code when a file changes (nor drop its sessions)
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "server.allowedHosts": allowed_hosts(host, extra_hosts),
    }


def streamlit_command(host: str, port: int, extra_hosts: list[str] | tuple[str, ...] = ()) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(SERVER)]
    for name, value in streamlit_options(host, port, extra_hosts).items():
        for one in (value if isinstance(value, list) else [value]):   # a list option: the flag once per value
            cmd += [f"--{name}", one]
    return cmd


def _city(lake: str, db: Path) -> Path:
    """`--kpi-from DIR`: the lake checked and its city snapshot made before the server starts, so that a wrong
    folder is said here (what, where, how to make it) and the first viewer waits for nothing."""
    import duckdb

    from pipelines.lake import city
    try:
        found = city.check_lake(lake)
        snap = city.city_snapshot(found, db)
    except city.CityLakeError as exc:
        raise UserError(exc.zh, exc.en) from None
    except (duckdb.Error, OSError) as exc:    # a kpi file that is no Parquet, a folder this account cannot read
        raise UserError(f"--kpi-from：读不出数据湖《{lake}》的指标：{safe_text(str(exc))}",
                        f"--kpi-from: the kpi of the lake '{lake}' cannot be read: {safe_text(str(exc))}") from None
    from pipelines.present import format as fmt
    info = city.info(snap)
    when = fmt.datetime(info.built_at, ui_lang())
    print(f"城市模式：总览和街道对比读取数据湖《{found}》的指标（{info.communities} 个社区，{info.kpi_rows} 行，构建于 {when}）；"
          "其他页面读取本机数据库。" if ui_lang() == "zh" else
          f"City mode: the overview and the street comparison read the kpi of the lake '{found}' ({info.communities} "
          f"communities, {info.kpi_rows} rows, built {when}); the other pages read the local store.")
    return found


def cmd_serve(args) -> int:
    from pipelines.build.runner import build, snapshot_is_stale
    allowed_hosts(args.host, args.allowed_host or ())      # a refused name is said before anything runs
    lake = _city(args.kpi_from, db_path(args)) if args.kpi_from else None
    if snapshot_is_stale(db_path(args)):
        print("正在构建看板数据……" if ui_lang() == "zh" else "Building the dashboard data…")
        build(db_path(args))
    if args.host in WILDCARDS:
        print("看板对局域网开放：请放在 HTTPS（TLS）反向代理之后，见 README“部署与安全”。" if ui_lang() == "zh"
              else "The dashboard is open to the LAN: put it behind an HTTPS (TLS) reverse proxy; see the README's "
                   "'Deployment and security'.", file=sys.stderr)
    env = dict(os.environ, LINLI_DB=str(db_path(args).resolve()))
    env.pop("LINLI_KPI_FROM", None)        # only --kpi-from names a lake: never one left in the shell
    if lake is not None:
        env["LINLI_KPI_FROM"] = str(lake)
    # run from the project folder so Streamlit finds .streamlit/config.toml (theme, upload size)
    os.chdir(ROOT)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, streamlit_command(args.host, args.port, args.allowed_host or ()), env)
    return 1  # not reached


def add_cli(sub) -> None:
    s = sub.add_parser("serve", help=say("启动看板（默认只在本机可访问，除非用 --host 另行指定）",
                                          "start the dashboard (on this machine only unless --host says otherwise)"))
    s.add_argument("--port", type=int, default=8501, help=say("端口（默认 8501）", "the port (default 8501)"))
    s.add_argument("--host", default=LOOPBACK,
                   help=say("监听地址（默认 127.0.0.1，只限本机；0.0.0.0 供局域网访问，须配 TLS）",
                            "address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for the LAN, behind TLS)"))
    s.add_argument("--allowed-host", action="append", metavar="NAME",
                   help=say("局域网或代理后面浏览器访问看板用的主机名或地址（可重复；localhost 和 127.0.0.1 总是允许）",
                            "a name or address browsers reach the dashboard by on the LAN or behind a proxy "
                            "(repeatable; localhost and 127.0.0.1 are always allowed)"))
    s.add_argument("--kpi-from", metavar="DIR",
                   help=say("城市模式：总览和街道对比读取别处构建的指标（数据湖文件夹，linli build --engine spark --lake DIR 写出）",
                            "city mode: the overview and the street comparison read a kpi built elsewhere (the lake's "
                            "folder, written by linli build --engine spark --lake DIR)"))
    s.set_defaults(func=cmd_serve)
