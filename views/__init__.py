"""Display helpers for the dashboard: chart builders and other presentation code."""
