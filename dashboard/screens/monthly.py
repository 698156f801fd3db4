"""每月检查: this month's noise feedback, training and jobs against last month, alerts, printable."""
from dashboard.parts import checks

checks.render("month", "page.monthly")
