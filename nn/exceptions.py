"""Exceptions raised by the estimators."""


class NotFittedError(ValueError, AttributeError):
    """Raised when a model is used before `fit`; catchable as ValueError or AttributeError."""
