"""What the portal's pages show, assembled from the other apps' selectors, one module per page.

Nothing here decides anything in the program: the figures, verdicts and deadlines come from
providers, scoring and funding; these modules only put together what one page needs, for one
provider, and say what the provider could do next.
"""

from portal.selectors.applications import (  # noqa: F401
    APPLICATION_PATH,
    TimelineStep,
    application_editable_by,
    application_timeline,
    applications_of_user,
)
from portal.selectors.criteria import (  # noqa: F401
    CriteriaRow,
    CriteriaTable,
    _criteria_preview,
    _row_from_prescreen,
    _row_from_record,
    _row_from_result,
    admission_criteria_published,
    application_criteria,
    application_prescreen_preview,
    criteria_tables,
    exit_check,
    probation_check,
    provider_admission_check,
)
from portal.selectors.home import (  # noqa: F401
    Deadline,
    HomePage,
    HomeStanding,
    NextStep,
    Situation,
    _warning_decision,
    data_month_missing,
    home_page,
    home_standing,
    next_steps,
)
from portal.selectors.records import (  # noqa: F401
    TeamPage,
    allocations_page,
    appeal_for_provider,
    appeal_outcome,
    decision_failures,
    decision_for_provider,
    import_for_provider,
    imports_of_provider,
    invitation_of_team,
    member_of_team,
    provider_appeals,
    provider_types_of,
    team_page,
)
from portal.selectors.scores import (  # noqa: F401
    ExplanationView,
    RiseStepView,
    ScoresPage,
    TermView,
    _curve_text,
    explanation_view,
    scores_page,
)
from portal.selectors.standing import (  # noqa: F401
    SCORE_KINDS,
    ScoreRow,
    TierProgress,
    _lower_is_target,
    latest_score_month,
    metric_units,
    provider_tier_progress,
    score_rows,
    tier_progress,
)
