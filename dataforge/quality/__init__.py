"""Quality checks: per-record features, expectation suites, the report and the gate."""
