"""cxloop: hear every customer, understand what drives their experience, act on it, share it."""

__version__ = "0.1.0"
