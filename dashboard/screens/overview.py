"""总览: the period's key numbers with change and trend, and what needs attention."""

from dashboard.parts import city_note, ui

v = ui.start("page.overview")
city_note.source(v, "overview")
now, before, series = ui.period_values(v)
ui.tiles(v, ["orders.count", "orders.gmv_yuan", "parcels.arrived", "parcels.peak_occupancy_ratio",
             "parcels.overdue", "complaints.noise", "complaints.noise_outside_hours", "complaints.open_at_end",
             "training.participants", "training.elderly_participants", "jobs.started", "jobs.active_at_end"],
         now, before, series)
ui.alert_box(v, now, before)
