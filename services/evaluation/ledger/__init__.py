"""The ledger: what the facts did to each unit's score. Consuming a fact writes its ledger rows,
counters, latest ratings and live scores (the incremental path); a recompute rebuilds them all
from the facts alone. `engine.py` holds the scoring rules as pure functions; reading scores,
explanations and rankings is `score/`."""
