from django_fsm import ConcurrentTransitionMixin, FSMModelMixin


class _ProtectedStateClean:
    def clean_fields(self, exclude=None):
        # full_clean() writes each cleaned value back, which a protected state field refuses;
        # the state machine, not form validation, is what guards the state.
        exclude = set(exclude or ()) | self._get_protected_fsm_fields()
        super().clean_fields(exclude=exclude)


class StateMachineModel(_ProtectedStateClean, ConcurrentTransitionMixin):
    """A model with a protected FSM state that refuses to save over a concurrent transition."""


class StateModel(_ProtectedStateClean, FSMModelMixin):
    """A model with a protected FSM state."""
