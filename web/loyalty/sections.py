"""The Loyalty programs section's part: the profile's memberships (balance, tier, the next
tier, the last transactions, the program's current promotions), a form to add points to
each, and one to enrol it in another program of its database.

Reading it needs only ``profiles.view_profile`` (the memberships are the profile's data,
like its history); the forms show for who may use them (``loyalty.add_transaction``,
``loyalty.add_membership``). A fixed number of queries whatever the memberships hold:
the last ``LAST_TRANSACTIONS`` transactions of each, read in one query for all.
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from loyalty.models import Membership, Program, Promotion, Transaction
from web.profiles.sections import Part, register_part

from .forms import EnrolForm, TransactionForm

SECTION = "loyalty"
PART = "loyalty"
LAST_TRANSACTIONS = 5
ADD_MEMBERSHIP = "loyalty.add_membership"
ADD_TRANSACTION = "loyalty.add_transaction"


@dataclass(frozen=True)
class MembershipRow:
    """A membership as the part shows it, its tiers and promotions already read."""

    membership: Membership
    form: TransactionForm | None

    @property
    def program(self):
        return self.membership.program

    @property
    def tiers(self):
        return list(self.program.tiers.all())

    @property
    def tier(self):
        return self.program.tier_for(self.membership.balance, self.tiers)

    @property
    def next_tier(self):
        return self.program.next_tier_for(self.membership.balance, self.tiers)

    @property
    def points_missing(self):
        tier = self.next_tier
        return tier.threshold - self.membership.balance if tier else 0

    @property
    def transactions(self):
        return self.membership.recent_transactions[:LAST_TRANSACTIONS]

    @property
    def more_transactions(self):
        return len(self.membership.recent_transactions) > LAST_TRANSACTIONS

    @property
    def promotions(self):
        """The program's current promotions, each with whether this member gets it."""
        tier = self.tier
        return [(p, p.is_open_to(tier)) for p in self.program.current_promotions]


def memberships_for_page(profile):
    return (
        Membership.objects.filter(profile=profile)
        .select_related("program")
        .prefetch_related(
            "program__tiers",
            Prefetch(
                "program__promotions",
                Promotion.objects.current().select_related("minimum_tier"),
                to_attr="current_promotions",
            ),
            Prefetch(
                "transactions",
                # One more than shown, to tell whether there are more.
                Transaction.objects.order_by("-id")[: LAST_TRANSACTIONS + 1],
                to_attr="recent_transactions",
            ),
        )
    )


def offered_programs(programs, joined):
    """The programs the profile may join: active, and not joined yet."""
    return [p for p in programs if p.active and p.pk not in joined]


def loyalty_context(request, profile):
    """The profile's memberships, and the programs of its database it may still join."""
    user = request.user
    can_add = user.has_perm(ADD_TRANSACTION)
    memberships = list(memberships_for_page(profile))
    rows = [
        MembershipRow(m, TransactionForm(program_id=m.program_id) if can_add else None)
        for m in memberships
    ]
    programs = list(Program.objects.filter(database_id=profile.database_id))
    offered = offered_programs(programs, {m.program_id for m in memberships})
    ctx = {
        "loyalty_rows": rows,
        "loyalty_programs": programs,
        "loyalty_offered": offered,
        "can_add_transaction": can_add,
        "can_enrol": user.has_perm(ADD_MEMBERSHIP),
    }
    if ctx["can_enrol"]:
        ctx["enrol_form"] = EnrolForm(profile=profile, offered=offered)
    return ctx


register_part(SECTION, Part(PART, "loyalty/part.html", loyalty_context, order=10))
