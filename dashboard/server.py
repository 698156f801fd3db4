"""What `linli serve` runs: the dashboard (app.py), the two routes of the login cookie, and a guard that
refuses other sites' WebSockets and serves /media/ downloads only within a session (all three in
dashboard/session_cookie.py). `streamlit run` finds the st.App below and serves it; AppTest and the
page tests start from app.py directly."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard import session_cookie

app = st.App(str(Path(__file__).with_name("app.py")), routes=session_cookie.routes(),
             middleware=[Middleware(session_cookie.Guard)])

# issue 19: while the dashboard serves, each Monday's briefs are written and posted (pipelines/reports/deliver.py)
from pipelines.database import default_path  # noqa: E402
from pipelines.reports.deliver import start_scheduler  # noqa: E402

start_scheduler(default_path())
