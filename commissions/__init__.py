"""Commission rules, the double-entry ledger, payouts and reconciliation (built in a later issue)."""
