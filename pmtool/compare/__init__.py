"""Critical differences between offices: aggregate bundles, statistics, scores, findings, priorities."""
