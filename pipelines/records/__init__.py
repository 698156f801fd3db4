"""The group's kept records, never rebuilt: action items, consultation cases and their effect, rules and
alert rules with their history, accounts, the audit trail."""
