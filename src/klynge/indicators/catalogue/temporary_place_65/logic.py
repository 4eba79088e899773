"""A temporary stay (FSIII H4.1) starting within 7 days of discharge."""

from klynge.indicators.helpers import followed_by


def units(ctx):
    s = ctx.table("municipal_service")
    return followed_by(ctx, s.filter(s.service_group == "temporary_stay"), "start_date", int(ctx.params.get("days", 7)))
