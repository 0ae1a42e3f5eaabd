"""Act: rules, cases, routing, the outbox and its worker, mail, webhooks and follow-ups."""
