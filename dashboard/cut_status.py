"""What a cut's listing says of it: ACTIVE, and why it cannot be served (interrupted, not signed, damaged)."""

from __future__ import annotations

from pathlib import Path

from dashboard import cuts


def cut_status(cut_id: str, active: str | None, root: Path | None = None) -> str:
    """ACTIVE and/or why a cut cannot be served (load interrupted, not signed, signature broken), or ''."""
    problem = ""
    if cuts.load_interrupted(cut_id, root):
        problem = cuts.INTERRUPTED
    else:
        try:
            cuts.verified_manifest(cut_id, root)
        except cuts.CutIntegrityError as exc:
            problem = "not signed" if "not signed" in str(exc) else "damaged: signature does not match"
        except (cuts.CutError, OSError) as exc:
            problem = f"unreadable: {cuts.refusal_reason(exc)}"
    return ", ".join(word for word in ("ACTIVE" if cut_id == active else "", problem) if word)
