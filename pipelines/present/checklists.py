"""The numbers each check reads, in the order the meeting reads them: the check pages' tables and the
briefs take them from here, so a page and its brief never list different numbers."""
from __future__ import annotations

WEEKLY = ["parcels.arrived", "parcels.picked_up", "parcels.median_dwell_hours", "parcels.overdue",
          "parcels.overdue_rate", "parcels.peak_occupancy_ratio", "complaints.count", "complaints.noise",
          "complaints.noise_outside_hours", "complaints.parcel_pileup", "complaints.open_at_end",
          "complaints.median_resolution_hours", "complaints.repeat_buildings", "orders.count", "orders.gmv_yuan"]
MONTHLY = ["complaints.noise", "complaints.noise_outside_hours", "complaints.noise_per_1k_households",
           "complaints.repeat_buildings", "complaints.count", "complaints.open_at_end",
           "complaints.median_resolution_hours", "parcels.overdue_rate", "parcels.peak_occupancy_ratio",
           "training.sessions", "training.attendance_rate", "training.participants", "training.elderly_participants",
           "jobs.started", "jobs.active_at_end", "jobs.via_training_share", "jobs.median_monthly_income_yuan",
           "orders.count", "orders.gmv_yuan", "orders.active_sellers", "orders.new_sellers", "orders.refund_rate",
           "coop.fund_spent_yuan", "coop.fund_balance_yuan"]   # the public fund: what it paid for, what it holds
BY_GRAIN = {"week": WEEKLY, "month": MONTHLY}
