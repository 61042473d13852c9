"""The SNS `event` message attribute values, declared once.

The notifier sets them, the CDK app's e-mail subscriptions and the local outbox filter on them.
"""

from __future__ import annotations

TICKET_CREATED = "TICKET_CREATED"  # a new ticket: staff get an e-mail
