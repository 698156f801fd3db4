"""每周检查: this week's parcel-point and complaint numbers against last week, alerts, printable."""
from dashboard.parts import checks

checks.render("week", "page.weekly")
