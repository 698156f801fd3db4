"""One file per page of the dashboard, each the whole code of its page (registered in dashboard/app.py).

Not named pages/: Streamlit takes a pages/ folder beside the entry script for its older multipage mode,
which would run a page without app.py's sidebar and login."""
