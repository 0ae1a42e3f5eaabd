"""The text enrichment engine: sentiment, themes with aspect sentiment, journey, signals, PII."""
