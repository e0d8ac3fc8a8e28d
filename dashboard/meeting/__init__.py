"""The board's meeting record: recommendation, minutes, signatures, amendments, action items, the sponsor letter."""
