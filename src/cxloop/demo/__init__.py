"""The demo company generator (see ``cxloop demo``)."""
