"""Helpdesk intake: the webhook app, one adapter per helpdesk, and the inbox."""
