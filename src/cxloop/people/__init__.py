"""People: accounts with a role and a password, teams with a manager and business hours.

The service functions here are what the CLI (``cxloop users|teams``), the web login and the
closed loop (routing, SLA clocks, escalation) call; none of them commits — the caller owns the
transaction.
"""
