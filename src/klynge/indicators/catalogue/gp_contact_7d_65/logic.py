"""A GP contact within 7 days after discharge."""

from klynge.indicators.helpers import followed_by


def units(ctx):
    return followed_by(ctx, ctx.table("gp_contact"), "contact_date", int(ctx.params.get("days", 7)))
