"""Post-loan monitoring: classification, provisions, portfolio indicators and stress tests."""
