"""How a number, a period, an alert or a chart is shown, in both languages: shared by the dashboard and
the briefs (which is why it lives in pipelines, which never imports the dashboard)."""
