"""Parts that several pages share: the page frame (ui), the check pages' common parts, the action-item
panel, a case's detail, the feedback round, the alert-rule editor and the brief buttons."""
