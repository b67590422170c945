"""The operator console (moderation now; payouts and reconciliation in later issues)."""
