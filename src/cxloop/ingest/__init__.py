"""Hear: read files and API batches into feedback, customers and business metrics.

``loader`` is the service (``ingest_file``, ``ingest_records``); ``readers`` stream the
formats; ``profiles`` recognise tool exports; ``mapping`` decides column -> field;
``convert`` and ``prepare`` validate; ``store`` writes batches; ``quarantine`` keeps what
could not be stored; ``export`` gives it all back.
"""
