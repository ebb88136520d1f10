"""The Data section's forms part: the forms the profile filled in, newest first, each opening
the whole submission (every value sent, its UTM tags, the visitor id).

Shown to who may view submissions (``webforms.view_submission``); one query for the last
``SUBMISSIONS_SHOWN`` submissions with their forms, whatever the profile submitted.
"""

from dataclasses import dataclass

from core.jsonvalues import shown
from web.profiles.sections import Part, register_part
from webforms.models import Submission

SECTION = "data"
SUBMISSIONS_SHOWN = 20
VIEW_SUBMISSION = "webforms.view_submission"


@dataclass(frozen=True)
class SubmissionRow:
    submission: Submission

    @property
    def values(self):
        """(key, value as text, mapped) for each value sent, in the order it was sent."""
        data = self.submission.data if isinstance(self.submission.data, dict) else {}
        mapped = {item.get("name") for item in self.submission.form.fields or []}
        return [
            (key, value if isinstance(value, str) else shown(value), key in mapped)
            for key, value in data.items()
        ]

    @property
    def utm(self):
        utm = self.submission.utm if isinstance(self.submission.utm, dict) else {}
        return [
            (key, value if isinstance(value, str) else shown(value)) for key, value in utm.items()
        ]


def submissions_context(request, profile):
    """The profile's latest form submissions, for who may view them."""
    if not request.user.has_perm(VIEW_SUBMISSION):
        return {"can_view_submissions": False}
    rows = list(
        Submission.objects.filter(profile=profile)
        .select_related("form")
        .order_by("-submitted_at", "-id")[: SUBMISSIONS_SHOWN + 1]
    )
    return {
        "can_view_submissions": True,
        "submission_rows": [SubmissionRow(row) for row in rows[:SUBMISSIONS_SHOWN]],
        "more_submissions": len(rows) > SUBMISSIONS_SHOWN,
    }


register_part(SECTION, Part("forms", "webforms/part.html", submissions_context, order=30))
