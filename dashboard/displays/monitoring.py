"""Views of the Monitoring page: information and looks (every role), the boundary plot and conditional power
(closed), and the safety rules (pooled rules for every role; rules applied within arms closed only)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard import blinding, cuts
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.context import data_root, trial_config
from dashboard.displays.common import stamp
from dashboard.displays.model import BOTH_FORMS, BY_ARM_ONLY, POOLED_ONLY, Control, Display, Out, View
from dashboard.figures.common import empty_figure
from dashboard.memo import memoized
from dashboard.monitoring import report, statistics
from dashboard.monitoring.figure import TITLE, boundary_figure
from dashboard.permissions import Permission
from layouts import monitoring as ids

PAGE = "/monitoring"
NO_CHARTER = "The trial configuration has no [charter] section: nothing to monitor against."
CLOSED_ONLY = "Closed session only."


def _cuts_so_far(active: TrialData) -> tuple[list[TrialData], list[str]]:
    """Trial data of every loaded cut up to the active one, at the user's access; refused cuts are named."""
    out, refused = [], []
    for manifest in cuts.list_cuts(data_root()):
        if manifest.cut_date > active.cut.cut_date:
            continue
        if manifest.cut_id == active.cut.cut_id:
            out.append(active)
            continue
        try:
            out.append(blinding.trial_data(manifest.cut_id, active.access, trial_config(), data_root()))
        except (cuts.CutError, OSError) as exc:      # a damaged or unusable cut is named with why, never a 500
            refused.append(f"{manifest.cut_date} ({manifest.cut_id}): {cuts.refusal_reason(exc)}")
    return out, refused


def _table(header: list[str], rows: list[list[Any]]) -> Any:
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])],
                     size="sm", bordered=False, striped=True, className="mb-2")


def _illustrative(data: TrialData) -> list[Any]:
    if data.config.charter.illustrative:
        return [html.Div("Illustrative charter (an example written for the demonstration, not the trial's own).",
                         className="small text-warning mb-2")]
    return []


def _fraction(f: float | None) -> str:
    return "–" if f is None or not report.finite(f) else f"{f:.0%}"


def _summary(active: TrialData) -> Any:
    charter = active.config.charter
    sets, refused = _cuts_so_far(active)
    rows = []
    for data in sets:
        n, fraction = memoized(data, "monitoring:open-fraction", lambda d=data: report.open_fraction(d))
        done, following = report.looks_done(charter, fraction)
        rows.append([data.cut.cut_date, n, _fraction(fraction), f"{done} of {len(charter.fractions)}",
                     _fraction(following) if following else "none (final analysis reached)"])
    planned = ", ".join(_fraction(f) for f in charter.fractions)
    notes = [f"Planned looks at information {planned} of {charter.planned_subjects} subjects with the primary "
             f"outcome ({charter.primary.statistic if charter.primary else 'no primary comparison'}).",
             "Subjects with the primary outcome are counted over all arms pooled; with more than two arms the "
             "fraction is of the planned number scaled to every arm (equal allocation by design)."]
    notes += [f"Cut {d}; left out." for d in refused]
    return html.Div(_illustrative(active) + [
        _table(["Cut", "Subjects with the primary outcome", "Information fraction", "Looks done", "Next look"], rows),
        *[html.Div(n, className="small text-muted") for n in notes]])


def _closed(active: ArmedTrialData) -> tuple[list[dict], report.Boundaries, float]:
    """Observed statistic per cut (labelled with its cut), boundaries at the information seen, design drift."""
    sets, _ = _cuts_so_far(active)
    observed = []
    for data in sets:
        stat = memoized(data, "monitoring:closed-statistic", lambda d=data: report.closed_statistic(d))
        observed.append({**stat, "CUT": data.cut.cut_date})
    drift = report.design_drift(active.config)
    looks = [o["FRACTION"] for o in observed if report.finite(o["Z"])]
    return observed, report.boundaries(active.config.charter, looks, drift), drift


def _boundary(data: ArmedTrialData) -> Any:
    observed, bounds, _ = _closed(data)
    undefined = [o["CUT"] for o in observed if not report.finite(o["Z"])]
    note = f"<br>No z at cut {', '.join(undefined)} (too few outcomes or no variation)" if undefined else ""
    arm, reference = report.compared_labels(data)        # the sign of z means nothing without its direction
    return boundary_figure(data.config, bounds, [o for o in observed if report.finite(o["Z"])],
                           stamp(data) + f" · {arm} vs {reference} · one marker per loaded cut" + note)


def _power(data: ArmedTrialData) -> Any:
    observed, bounds, drift = _closed(data)
    defined = [o for o in observed if report.finite(o["Z"])]
    if not defined:
        return html.Div("No loaded cut has a defined z for the primary comparison yet.")
    last, final = defined[-1], bounds.efficacy[-1]
    arm, reference = report.compared_labels(data)
    trend = statistics.current_trend_drift(last["Z"], last["FRACTION"])
    cp_trend = statistics.conditional_power(last["Z"], last["FRACTION"], final, trend)
    cp_design = statistics.conditional_power(last["Z"], last["FRACTION"], final, drift)
    est = "rate" if data.config.charter.primary.kind == "event" else "mean change"
    rows = [[f"{o['CUT']}", f"{o['N_ARM']:.0f} / {o['N_REF']:.0f}", f"{o['EST_ARM']:.3g} / {o['EST_REF']:.3g}",
             f"{o['Z']:.3f}" if report.finite(o["Z"]) else "not defined", _fraction(o["FRACTION"])]
            for o in observed]
    lines = [f"Cut {last['CUT']}: conditional power under the current trend {cp_trend:.1%}, under the design "
             f"assumption {cp_design:.1%} (final bound z = {final:.3f})."]
    futility = data.config.charter.futility
    if futility is not None and futility.kind == "conditional_power" and report.finite(cp_trend):
        flag = "below" if cp_trend < futility.threshold else "above"
        lines.append(f"Non-binding futility: conditional power under the current trend is {flag} the charter's "
                     f"threshold of {futility.threshold:.0%}.")
    return html.Div(_illustrative(data) + [
        _table(["Cut", f"N {arm} / {reference}", f"{est} {arm} / {reference}", "z",
                "Information (compared arms)"], rows),
        *[html.Div(line, className="mb-1") for line in lines]])


def _safety(data: TrialData) -> Any:
    rows = []
    for rule in data.config.charter.safety_rules:
        statuses = report.safety_status(data, rule)
        if not statuses:
            rows.append([rule.label, "within each arm", "closed session only", "", "", "", data.cut.cut_date])
        for group, s in statuses.items():
            value = f"P(rate > {rule.p0:.0%}) = {s.value:.3f}" if rule.kind == "beta_binomial" else f"{s.events}"
            threshold = f"> {s.threshold:.2f}" if rule.kind == "beta_binomial" else f">= {s.threshold:.0f} events"
            pause = f"{s.pause_at} or more among {s.n}" if s.pause_at is not None else f"not reachable at {s.n}"
            applied = group if rule.pooled else html.Span([group, ids.closed_stamp()])   # a by-arm row is closed
            rows.append([rule.label, applied, f"{s.events} / {s.n} treated", f"{value} ({threshold})", pause,
                         s.status.upper(), data.cut.cut_date])
    return html.Div(_illustrative(data) + [
        _table(["Rule", "Applied to", "Events / treated", "Value (threshold)", "Pause if", "Status", "Cut"], rows)])


def summary(data: TrialData, **_: Any) -> dict[str, Any]:
    """Information fraction, looks done and the next look at each loaded cut (pooled counts only)."""
    return {"summary": _summary(data) if data.config.charter else html.Div(NO_CHARTER)}


def boundary(data: TrialData, **_: Any) -> dict[str, Any]:
    """The efficacy boundary with the observed statistic at each cut (closed); blinded data gets a notice."""
    if data.config.charter is None:
        return {"boundary": empty_figure(TITLE, stamp(data), NO_CHARTER)}
    figure = data.split(lambda: empty_figure(TITLE, stamp(data), CLOSED_ONLY),
                        lambda *, arm_of: _boundary(data), basis="efficacy")
    return {"boundary": figure}


def power(data: TrialData, **_: Any) -> dict[str, Any]:
    """Conditional power under the current trend and the design assumption (closed)."""
    if data.config.charter is None:
        return {"power": html.Div(NO_CHARTER)}
    return {"power": data.split(lambda: html.Div(CLOSED_ONLY), lambda *, arm_of: _power(data), basis="efficacy")}


def safety_rules(data: TrialData, **_: Any) -> dict[str, Any]:
    """Every safety rule's status with the numbers behind it; rules applied within arms only for armed data."""
    return {"rules": _safety(data) if data.config.charter else html.Div(NO_CHARTER)}


_TRIGGER = {"_trigger": Control(ids.TRIGGER, "data")}
SUMMARY = Display("monitoring.information", "Information and looks", "table", ("DM", "DS"),
                  {"summary": Out(ids.SUMMARY, "children")}, POOLED_ONLY,
                  analysis=(report.open_fraction, report.looks_done), builder=_table)
BOUNDARY = Display("monitoring.boundary", "Efficacy boundary and the observed statistic", "figure", ("DM", "DS"),
                   {"boundary": Out(ids.BOUNDARY, "figure")}, BY_ARM_ONLY,
                   analysis=(report.closed_statistic, report.boundaries), builder=boundary_figure)
POWER = Display("monitoring.conditional_power", "Conditional power", "table", ("DM", "DS"),
                {"power": Out(ids.POWER, "children")}, BY_ARM_ONLY,
                analysis=(statistics.conditional_power, statistics.current_trend_drift), builder=_table)
RULES = Display("monitoring.safety_rules", "Safety stopping rules", "table", ("DM", "EX", "AE"),
                {"rules": Out(ids.SAFETY, "children")}, BOTH_FORMS,
                analysis=(report.safety_status,), builder=_table)

VIEWS: tuple[View, ...] = (
    View("monitoring:summary", PAGE, Permission.VIEW_SAFETY, summary, (SUMMARY,), _TRIGGER, audited=False),
    View("monitoring:boundaries", PAGE, Permission.VIEW_SAFETY, boundary, (BOUNDARY,), _TRIGGER),
    View("monitoring:power", PAGE, Permission.VIEW_SAFETY, power, (POWER,), _TRIGGER),
    View("monitoring:safety-rules", PAGE, Permission.VIEW_SAFETY, safety_rules, (RULES,), _TRIGGER),
)
